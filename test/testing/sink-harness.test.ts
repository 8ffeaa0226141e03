import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import csv from '../../src/plugins/sink/csv/index.js'
import stdout from '../../src/plugins/sink/stdout.js'
import {origin, SinkHarness} from '../../src/testing/index.js'

describe('etl/testing: sinks', () => {
  it('deliver writes and flushes with an origin; a new harness reads the positions a restart would', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-kit-sink-'))
    const config = {path: join(dir, 'out.csv'), columns: ['symbol', 'price_usd']}
    const sink = await SinkHarness.create(csv, config, {topic: 'prices'})
    expect(sink.positions).to.deep.equal({})
    await sink.deliver(
      [
        {symbol: 'BTC', price_usd: 1},
        {symbol: 'ETH', price_usd: 2},
      ],
      origin(0, 2),
    )
    await sink.deliver([{symbol: 'BTC', price_usd: 3}], origin(1, 7))
    await sink.close()
    expect(readFileSync(config.path, 'utf8')).to.equal('symbol,price_usd\nBTC,1\nETH,2\nBTC,3\n')
    const restarted = await SinkHarness.create(csv, config, {topic: 'prices'})
    expect(restarted.positions).to.deep.equal({0: 2, 1: 7})
    const otherTopic = await SinkHarness.create(csv, {...config, path: join(dir, 'other.csv')}, {topic: 'other'})
    expect(otherTopic.positions).to.deep.equal({})
    await Promise.all([restarted.close(), otherTopic.close()])
  })

  it('an at-least-once sink reports no positions', async () => {
    const sink = await SinkHarness.create(stdout, {})
    expect(sink.positions).to.equal(undefined)
    await sink.close()
  })
})
