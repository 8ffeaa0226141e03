import {expect} from 'chai'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {checkConfig, SinkHarness} from 'etl/testing'
import plugin from '../src/index.js'

describe('sink {{pluginName}}', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), '{{pluginName}}-test-'))
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  /** The records in the file, one per line. */
  async function lines(path: string): Promise<unknown[]> {
    const text = await readFile(path, 'utf8')
    return text.split('\n').filter(Boolean).map((line) => JSON.parse(line))
  }

  it('appends one JSON line per record, in order, once flushed', async () => {
    const path = join(dir, 'out', 'records.jsonl')
    const sink = await SinkHarness.create(plugin, {path})
    await sink.write([{symbol: 'BTC', price_usd: 100}])
    expect(await lines(path), 'nothing is in the file before flush').to.deep.equal([])
    await sink.flush()
    await sink.deliver([{symbol: 'ETH', price_usd: 5}, {symbol: 'SOL', price_usd: 1}])
    await sink.close()
    expect(await lines(path)).to.deep.equal([
      {symbol: 'BTC', price_usd: 100},
      {symbol: 'ETH', price_usd: 5},
      {symbol: 'SOL', price_usd: 1},
    ])
    expect(sink.counts.get('written')).to.equal(3)
  })

  it('appends to a file that is already there', async () => {
    const path = join(dir, 'records.jsonl')
    for (const price of [1, 2]) {
      const sink = await SinkHarness.create(plugin, {path, fsync: false})
      await sink.deliver([{price}])
      await sink.close()
    }
    expect(await lines(path)).to.deep.equal([{price: 1}, {price: 2}])
  })

  it('needs a path', async () => {
    const issues = await checkConfig(plugin, {})
    expect(issues.map((issue) => issue.message)).to.deep.equal(["must have required property 'path'"])
  })
})
