import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {parse} from 'csv-parse/sync'
import csv from '../../../../src/plugins/sink/csv/index.js'
import type {EtlRecord, SinkInstance} from '../../../../src/runtime/plugin-types.js'
import {configFor, testContext} from '../../../support/plugin-context.js'

const btc = (price: number, timestamp: string): EtlRecord => ({
  symbol: 'BTC',
  price_usd: price,
  timestamp,
  coin_id: 'bitcoin',
  vs_currency: 'usd',
  source: 'replay',
})

describe('csv sink', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-csv-'))
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  async function sink(config: Record<string, unknown> = {}) {
    const test = testContext({cwd: dir})
    const instance = (await csv.create(configFor(csv, config), test.context)) as SinkInstance
    return {...test, sink: instance}
  }

  const read = (name: string) => readFile(join(dir, name), 'utf8')

  it('writes the header once across two sink instances appending to the same file', async () => {
    const first = await sink({path: 'prices.csv'})
    await first.sink.write([btc(1, 't1'), btc(2, 't2')])
    await first.sink.close()
    const second = await sink({path: 'prices.csv'})
    // Different key order: the existing header decides the columns.
    await second.sink.write([
      {timestamp: 't3', price_usd: 3, symbol: 'BTC', source: 'x', vs_currency: 'usd', coin_id: 'bitcoin'},
    ])
    await second.sink.close()
    expect(await read('prices.csv')).to.equal(
      'symbol,price_usd,timestamp,coin_id,vs_currency,source\n' +
        'BTC,1,t1,bitcoin,usd,replay\n' +
        'BTC,2,t2,bitcoin,usd,replay\n' +
        'BTC,3,t3,bitcoin,usd,x\n',
    )
  })

  it('writes one header when two sinks on one new file are created before either writes', async () => {
    const a = await sink({path: 'both.csv'})
    const b = await sink({path: 'both.csv'})
    await a.sink.write([{x: 1, y: 2}])
    await a.sink.flush()
    await b.sink.write([{y: 4, x: 3}])
    await Promise.all([a.sink.close(), b.sink.close()])
    expect(await read('both.csv')).to.equal('x,y\n1,2\n3,4\n')
  })

  it("takes columns from an existing file's header, leaves missing cells empty and ignores other fields", async () => {
    await writeFile(join(dir, 'existing.csv'), 'timestamp,price_usd,note\nold,1,hi\n')
    const {sink: s, counts, logs} = await sink({path: 'existing.csv'})
    await s.write([btc(5, 't5'), {timestamp: 't6', extra: true}])
    await s.write([btc(7, 't7')])
    await s.close()
    expect(await read('existing.csv')).to.equal('timestamp,price_usd,note\nold,1,hi\nt5,5,\nt6,,\nt7,7,\n')
    // symbol, coin_id, vs_currency, source, extra: each counted once however many records carry it.
    expect(counts.get('ignored_field')).to.equal(5)
    expect(logs.filter((line) => line.includes('DEBUG') && line.includes('"symbol" is not a column'))).to.have.length(1)
  })

  it('uses configured columns and the first record when the file is new', async () => {
    const {sink: s} = await sink({path: 'cols.csv', columns: ['price_usd', 'symbol', 'missing']})
    await s.write([btc(1.5, 't')])
    await s.close()
    expect(await read('cols.csv')).to.equal('price_usd,symbol,missing\n1.5,BTC,\n')
  })

  it('refuses configured columns that differ from the header already in the file', async () => {
    await writeFile(join(dir, 'other.csv'), 'a,b\n1,2\n')
    try {
      await sink({path: 'other.csv', columns: ['a', 'c']})
      expect.fail('expected an error')
    } catch (error) {
      expect(error).to.have.property('code', 'ETL_CONFIG_INVALID')
      expect((error as Error).message)
        .to.include('a,b')
        .and.include('a,c')
    }
    expect(await read('other.csv')).to.equal('a,b\n1,2\n')
  })

  it('escapes delimiters, quotes and newlines, and writes booleans, nulls and numbers plainly', async () => {
    const record = {text: 'a,b', quote: 'say "hi"', lines: 'one\ntwo', yes: true, no: false, none: null, n: -0.5}
    const {sink: s} = await sink({path: 'escape.csv'})
    await s.write([record])
    await s.close()
    const text = await read('escape.csv')
    expect(text).to.equal('text,quote,lines,yes,no,none,n\n"a,b","say ""hi""","one\ntwo",true,false,,-0.5\n')
    expect(parse(text, {columns: true})).to.deep.equal([
      {text: 'a,b', quote: 'say "hi"', lines: 'one\ntwo', yes: 'true', no: 'false', none: '', n: '-0.5'},
    ])
  })

  it('has every row on disk, byte for byte, once flush resolves (without close)', async () => {
    const {sink: s} = await sink({path: 'durable.csv'})
    await s.write([btc(1, 't1')])
    await s.write([btc(2, 't2'), btc(3, 't3')])
    await s.flush()
    expect(await read('durable.csv')).to.equal(
      'symbol,price_usd,timestamp,coin_id,vs_currency,source\n' +
        'BTC,1,t1,bitcoin,usd,replay\nBTC,2,t2,bitcoin,usd,replay\nBTC,3,t3,bitcoin,usd,replay\n',
    )
    await s.write([btc(4, 't4')])
    await s.flush()
    expect((await read('durable.csv')).split('\n').at(-2)).to.equal('BTC,4,t4,bitcoin,usd,replay')
    await s.close()
  })

  it('writes large batches completely', async () => {
    const records = Array.from({length: 20_000}, (_, i) => btc(i, `t${i}`))
    const {sink: s} = await sink({path: 'big.csv', fsync: false})
    await s.write(records.slice(0, 12_345))
    await s.write(records.slice(12_345))
    await s.close()
    const rows = parse(await read('big.csv'), {columns: true, cast: false}) as Record<string, string>[]
    expect(rows).to.have.length(20_000)
    expect(rows[19_999]).to.deep.equal({...btc(19_999, 't19999'), price_usd: '19999'})
  })

  it('defaults the path to data/<pipeline>.csv, creating folders', async () => {
    const {sink: s} = await sink({})
    await s.write([{a: 1}])
    await s.close()
    expect(await read('data/test-pipeline.csv')).to.equal('a\n1\n')
    const nested = await sink({path: 'deep/er/out.csv'})
    await nested.sink.write([{a: 2}])
    await nested.sink.close()
    expect(await read('deep/er/out.csv')).to.equal('a\n2\n')
  })

  it('writes no header when header is false, and honours the delimiter', async () => {
    const {sink: s} = await sink({path: 'plain.csv', header: false, delimiter: ';'})
    await s.write([{a: 'x;y', b: 2}])
    await s.close()
    expect(await read('plain.csv')).to.equal('"x;y";2\n')
  })

  it('starts on a fresh line when the file ends in a torn row', async () => {
    await writeFile(join(dir, 'torn.csv'), 'a,b\n1,2\n3,')
    const {sink: s} = await sink({path: 'torn.csv'})
    await s.write([{a: 5, b: 6}])
    await s.close()
    expect(await read('torn.csv')).to.equal('a,b\n1,2\n3,\n5,6\n')
  })

  it('rejects writes after close; close is idempotent', async () => {
    const {sink: s} = await sink({path: 'closed.csv'})
    await s.write([{a: 1}])
    await s.close()
    await s.close()
    let failed = false
    await s.write([{a: 2}]).catch(() => (failed = true))
    expect(failed).to.equal(true)
    expect(await read('closed.csv')).to.equal('a\n1\n')
  })

  it('fills schema defaults', () => {
    expect(configFor(csv, {})).to.deep.equal({header: true, delimiter: ',', fsync: true, neutralizeFormulas: true})
    expect(() => configFor(csv, {columns: []})).to.throw(/columns/)
  })
})
