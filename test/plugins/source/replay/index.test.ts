import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import replay from '../../../../src/plugins/source/replay/index.js'
import type {EtlRecord, SourceInstance} from '../../../../src/runtime/plugin-types.js'
import {configFor, testContext, type TestContext} from '../../../support/plugin-context.js'

const DAILY = new URL('../../../../data/btcusd-1d-2011-2025.csv', import.meta.url).pathname
const FIVE_MINUTE = new URL('../../../../data/btcusd-5m-2011.csv', import.meta.url).pathname

/** The file's rows read the plain way (no csv-parse), as the independent expectation. */
async function fileRows(path: string): Promise<Record<string, string>[]> {
  const [header, ...lines] = (await readFile(path, 'utf8')).trim().split('\n')
  const names = header.split(',')
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i], cell])))
}

function expectedRecord(row: Record<string, string>): EtlRecord {
  return {
    symbol: 'BTC',
    price_usd: Number(row.close),
    timestamp: new Date(Number(row.unix_timestamp) * 1000).toISOString(),
    coin_id: 'bitcoin',
    vs_currency: 'usd',
    source: 'replay',
    open: Number(row.open),
    high: Number(row.high),
    low: Number(row.low),
    volume: Number(row.volume),
  }
}

interface Run {
  records: EtlRecord[]
  batches: number[]
  test: TestContext
}

async function runReplay(config: Record<string, unknown>, onBatch?: (run: Run) => void): Promise<Run> {
  const test = testContext()
  const source = (await replay.create(configFor(replay, config), test.context)) as SourceInstance
  const run: Run = {records: [], batches: [], test}
  await source.run(async (records) => {
    run.records.push(...records)
    run.batches.push(records.length)
    onBatch?.(run)
  }, test.context.signal)
  return run
}

describe('replay source', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-replay-'))
  })
  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  async function csvFile(name: string, text: string): Promise<string> {
    const path = join(dir, name)
    await writeFile(path, text)
    return path
  }

  it('replays every row of the daily file, first and last exactly as in the file', async () => {
    const rows = await fileRows(DAILY)
    const {records, batches, test} = await runReplay({path: DAILY})
    expect(rows).to.have.length(5152)
    expect(records).to.have.length(5152)
    expect(records[0]).to.deep.equal(expectedRecord(rows[0]))
    expect(records.at(-1)).to.deep.equal(expectedRecord(rows.at(-1)!))
    expect(records[0]).to.deep.include({timestamp: '2011-08-18T00:00:00.000Z', price_usd: 10.9})
    expect(records.at(-1)).to.deep.include({timestamp: '2025-09-24T00:00:00.000Z', price_usd: 113700.11})
    expect(Math.max(...batches)).to.equal(500)
    expect(batches.reduce((a, b) => a + b)).to.equal(5152)
    expect(test.counts.get('rejected_row')).to.equal(undefined)
  })

  it('uses the bundled file by default, even from another working directory', async () => {
    const test = testContext({cwd: dir})
    const config = configFor(replay, {})
    expect(config).to.include({path: 'data/btcusd-1d-2011-2025.csv', speed: 0, batchSize: 500, loop: 1})
    const source = (await replay.create(config, test.context)) as SourceInstance
    let count = 0
    await source.run(async (records) => void (count += records.length), test.context.signal)
    expect(count).to.equal(5152)
  })

  it('reads zone-less ISO text as UTC: the timestamp column gives the same times as unix_timestamp', async () => {
    const byUnix = await runReplay({path: FIVE_MINUTE, limit: 2000})
    const byText = await runReplay({path: FIVE_MINUTE, limit: 2000, timestampColumn: 'timestamp', timestampUnit: 'iso'})
    expect(byText.records).to.deep.equal(byUnix.records)
    expect(byUnix.records[0].timestamp).to.equal('2011-08-18T12:35:00.000Z')
  })

  it('names the price field after vsCurrency and takes symbol, coinId and columns from config', async () => {
    const {records} = await runReplay({
      path: DAILY,
      limit: 1,
      symbol: 'XBT',
      coinId: 'btc',
      vsCurrency: 'EUR',
      priceColumn: 'open',
      extraColumns: ['close'],
    })
    expect(records).to.deep.equal([
      {
        symbol: 'XBT',
        price_eur: 10.9,
        timestamp: '2011-08-18T00:00:00.000Z',
        coin_id: 'btc',
        vs_currency: 'eur',
        source: 'replay',
        close: 10.9,
      },
    ])
  })

  it('stops after limit records', async () => {
    const all = await runReplay({path: DAILY})
    const {records, batches} = await runReplay({path: DAILY, limit: 1234})
    expect(records).to.deep.equal(all.records.slice(0, 1234))
    expect(batches).to.deep.equal([500, 500, 234])
  })

  it('loops with timestamps shifted so event time keeps increasing', async () => {
    const rows = await fileRows(DAILY)
    const {records} = await runReplay({path: DAILY, loop: 3})
    expect(records).to.have.length(3 * 5152)
    const times = records.map((record) => Date.parse(record.timestamp as string))
    for (let i = 1; i < times.length; i++) expect(times[i], `record ${i}`).to.be.greaterThan(times[i - 1])
    const day = 86_400_000
    // Second pass starts one day (the file's step) after the first pass ended; prices repeat.
    expect(times[5152] - times[5151]).to.equal(day)
    expect(times[2 * 5152] - times[2 * 5152 - 1]).to.equal(day)
    const span = times[5151] - times[0] + day
    expect(times[5152 + 17] - times[17]).to.equal(span)
    expect(records[5152 + 17].price_usd).to.equal(Number(rows[17].close))
    expect(records[2 * 5152].price_usd).to.equal(records[0].price_usd)
  })

  it('loops endlessly with loop: 0 until the limit', async () => {
    const path = await csvFile('three.csv', 'unix_timestamp,close\n60,1\n120,2\n180,3\n')
    const {records} = await runReplay({path, loop: 0, limit: 8, extraColumns: []})
    expect(records.map((r) => r.price_usd)).to.deep.equal([1, 2, 3, 1, 2, 3, 1, 2])
    expect(records.map((r) => Date.parse(r.timestamp as string) / 1000)).to.deep.equal([
      60, 120, 180, 240, 300, 360, 420, 480,
    ])
  })

  it('ends an endless loop over a file without a usable row instead of spinning', async () => {
    const path = await csvFile('useless.csv', 'unix_timestamp,close\n60,x\n')
    const {records, test} = await runReplay({path, loop: 0, extraColumns: []})
    expect(records).to.deep.equal([])
    expect(test.counts.get('rejected_row')).to.equal(1)
    expect(test.logs.some((line) => line.includes('produced no records'))).to.equal(true)
  })

  it('paces by event time when speed is set, emitting records as they fall due', async () => {
    // Six rows a minute apart at 1500× real time: 300 s of event time take 200 ms.
    const lines = [0, 60, 120, 180, 240, 300].map((s, i) => `${1_700_000_000 + s},${i + 1}`)
    const path = await csvFile('paced.csv', `unix_timestamp,close\n${lines.join('\n')}\n`)
    let markerFired = false
    let markerBeforeLast = false
    const marker = setTimeout(() => (markerFired = true), 100)
    const paced = await runReplay({path, speed: 1500, extraColumns: []}, (run) => {
      if (run.records.length === 6) markerBeforeLast = markerFired
    })
    clearTimeout(marker)
    expect(paced.records.map((r) => r.price_usd)).to.deep.equal([1, 2, 3, 4, 5, 6])
    expect(paced.batches.length, 'records were emitted as they fell due, not at once').to.be.greaterThan(1)
    expect(paced.batches[0]).to.equal(1)
    expect(markerBeforeLast, 'the last record came after a 100 ms timer, so it was paced').to.equal(true)

    const fast = await runReplay({path, speed: 0, extraColumns: []})
    expect(fast.batches).to.deep.equal([6])
  })

  it('counts and logs (with line numbers) rows it cannot use, and emits the rest', async () => {
    const path = await csvFile(
      'bad.csv',
      [
        'timestamp,open,close,volume,unix_timestamp,high,low',
        '2011-08-18 00:00:00,1,2,3,1313625600,4,5', // line 2: good
        'x,1,abc,3,1313712000,4,5', // line 3: price not a number
        'x,1,"2"x,3,1313712000,4,5', // line 4: stray quote
        'x,1,2', // line 5: short row
        '', // line 6: empty, skipped silently
        'x,1,2,3,,4,5', // line 7: no time
        'x,1,2,3,1313798400,4,oops', // line 8: extra column not a number
        'x,1,7,3,1313884800,4,5', // line 9: good
      ].join('\n') + '\n',
    )
    const {records, test} = await runReplay({path})
    expect(records.map((r) => r.price_usd)).to.deep.equal([2, 7])
    expect(test.counts.get('rejected_row')).to.equal(5)
    const warnings = test.logs.filter((line) => line.includes('WARN'))
    for (const line of [3, 4, 5, 7, 8])
      expect(
        warnings.some((w) => w.includes(`line ${line}:`)),
        `line ${line}`,
      ).to.equal(true)
    expect(warnings.join('\n'))
      .to.include('column low')
      .and.include('column unix_timestamp')
      .and.include('column close')
  })

  it('logs only the first ten rejected rows but counts them all', async () => {
    const bad = Array.from({length: 25}, (_, i) => `${1000 + i},not-a-price`)
    const path = await csvFile('many-bad.csv', `unix_timestamp,close\n${bad.join('\n')}\n2000,5\n`)
    const {records, test} = await runReplay({path, extraColumns: []})
    expect(records).to.have.length(1)
    expect(test.counts.get('rejected_row')).to.equal(25)
    expect(test.logs.filter((line) => line.includes('skipping row'))).to.have.length(10)
    expect(test.logs.filter((line) => line.includes('more rows rejected'))).to.have.length(1)
  })

  it('stops promptly when aborted between batches', async () => {
    const {records} = await runReplay({path: DAILY, batchSize: 100}, (run) => {
      if (run.batches.length === 2) run.test.abort()
    })
    expect(records).to.have.length(200)
  })

  it('stops promptly when aborted while waiting for the next record at real-time speed', async () => {
    // The second row is a day later: without abort this run would take a day.
    const {records, batches} = await runReplay({path: DAILY, speed: 1}, (run) => run.test.abort())
    expect(records).to.have.length(1)
    expect(batches).to.deep.equal([1])
  })

  it('fails at create for a missing file or column, naming it', async () => {
    const test = testContext()
    const missingFile = replay.create(configFor(replay, {path: join(dir, 'nope.csv')}), test.context)
    await expectRejection(missingFile, 'ETL_CONFIG_INVALID', 'nope.csv')
    const missingColumn = replay.create(configFor(replay, {path: DAILY, priceColumn: 'price'}), test.context)
    await expectRejection(missingColumn, 'ETL_CONFIG_INVALID', '"price"')
    const directory = replay.create(configFor(replay, {path: dir}), test.context)
    await expectRejection(directory, 'ETL_CONFIG_INVALID', 'cannot read')
  })

  describe('checkpoints (kill and restart)', () => {
    interface Emitted {
      records: EtlRecord[]
      checkpoint: unknown
    }

    /** Runs a replay as the runtime does: restore() first when a checkpoint is given; stops after `stopAfter` emits. */
    async function runFrom(config: Record<string, unknown>, checkpoint?: unknown, stopAfter = Infinity) {
      const test = testContext()
      const source = (await replay.create(configFor(replay, config), test.context)) as SourceInstance
      if (checkpoint !== undefined) await source.restore!(structuredClone(checkpoint))
      const emits: Emitted[] = []
      await source.run(async (records, cp) => {
        // A checkpoint must survive the trip through JSON (it is stored in a Kafka topic).
        emits.push({records, checkpoint: JSON.parse(JSON.stringify(cp))})
        if (emits.length >= stopAfter) test.abort() // the process "dies" right after this emit was committed
      }, test.context.signal)
      return {emits, records: emits.flatMap((e) => e.records), test}
    }

    it('passes a checkpoint with every emit; a restart from one continues right after its last record', async () => {
      const all = await runReplay({path: DAILY})
      for (const stopAfter of [1, 4, 10]) {
        const killed = await runFrom({path: DAILY, batchSize: 500}, undefined, stopAfter)
        expect(killed.emits.every((e) => e.checkpoint !== undefined)).to.equal(true)
        const last = killed.emits[killed.emits.length - 1].checkpoint
        const resumed = await runFrom({path: DAILY, batchSize: 500}, last)
        expect(resumed.test.logs.some((line) => line.includes('resuming the replay after line'))).to.equal(true)
        expect([...killed.records, ...resumed.records], `killed after ${stopAfter} emits`).to.deep.equal(all.records)
      }
    })

    it('continues a paced replay mid-way and a looped one in its second pass, with the same timestamps', async () => {
      const lines = Array.from({length: 12}, (_, i) => `${1_700_000_000 + i * 60},${i + 1}`)
      const path = await csvFile('restart.csv', `unix_timestamp,close\n${lines.join('\n')}\n`)
      const config = {path, speed: 60_000, loop: 2, batchSize: 5, extraColumns: []}
      const whole = await runFrom(config)
      expect(whole.records).to.have.length(24)
      for (const stopAfter of [2, whole.emits.length - 3]) {
        const killed = await runFrom(config, undefined, stopAfter)
        const resumed = await runFrom(config, killed.emits[killed.emits.length - 1].checkpoint)
        expect([...killed.records, ...resumed.records], `killed after ${stopAfter} emits`).to.deep.equal(whole.records)
      }
    })

    it('emits nothing after a checkpoint that says the replay ended (all passes, or the limit)', async () => {
      const done = await runFrom({path: DAILY, limit: 700})
      const again = await runFrom({path: DAILY, limit: 700}, done.emits[done.emits.length - 1].checkpoint)
      expect(again.records).to.deep.equal([])
      const path = await csvFile('short.csv', 'unix_timestamp,close\n60,1\n120,2\n')
      const finished = await runFrom({path, extraColumns: []})
      const rerun = await runFrom({path, extraColumns: []}, finished.emits[finished.emits.length - 1].checkpoint)
      expect(rerun.records).to.deep.equal([])
      expect(rerun.test.logs.some((line) => line.includes('already ran to its end'))).to.equal(true)
    })

    it('ignores, with a warning, a checkpoint of a changed file, another file or settings; starts over', async () => {
      const path = await csvFile('changing.csv', 'unix_timestamp,close\n60,1\n120,2\n180,3\n')
      const first = await runFrom({path, batchSize: 1, extraColumns: []}, undefined, 2)
      const checkpoint = first.emits[1].checkpoint
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ['other settings', {path, batchSize: 1, extraColumns: [], symbol: 'ETH'}, /settings changed/],
        [
          'another file',
          {path: await csvFile('other.csv', 'unix_timestamp,close\n60,1\n120,2\n180,3\n'), extraColumns: []},
          /another file/,
        ],
      ]
      for (const [what, config, warning] of cases) {
        const run = await runFrom(config, checkpoint)
        expect(run.records, what).to.have.length(3)
        expect(
          run.test.logs.some((line) => line.includes('ignoring the saved replay position') && warning.test(line)),
          what,
        ).to.equal(true)
      }
      await writeFile(path, 'unix_timestamp,close\n60,1\n120,2\n180,3\n240,4\n')
      const changed = await runFrom({path, batchSize: 1, extraColumns: []}, checkpoint)
      expect(changed.records.map((r) => r.price_usd)).to.deep.equal([1, 2, 3, 4])
      expect(
        changed.test.logs.some((line) => /ignoring the saved replay position: the file changed/.test(line)),
      ).to.equal(true)
    })
  })

  it('rejects configs outside the schema', () => {
    expect(() => configFor(replay, {speed: -1})).to.throw(/speed/)
    expect(() => configFor(replay, {timestampUnit: 'days'})).to.throw(/timestampUnit/)
    expect(() => configFor(replay, {pth: 'x.csv'})).to.throw(/additional/)
  })
})

async function expectRejection(promise: unknown, code: string, text: string): Promise<void> {
  try {
    await promise
  } catch (error) {
    expect(error).to.have.property('code', code)
    expect((error as Error).message).to.include(text)
    return
  }
  expect.fail('expected a rejection')
}
