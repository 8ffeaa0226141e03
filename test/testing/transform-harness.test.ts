import {expect} from 'chai'
import ohlc from '../../src/plugins/transform/ohlc.js'
import sma from '../../src/plugins/transform/sma.js'
import {EventTimeline, runTransform, TransformHarness} from '../../src/testing/index.js'

const tick = (time: EventTimeline, price: number) => time.record({symbol: 'BTC', vs_currency: 'usd', price_usd: price})

describe('etl/testing: transforms', () => {
  it('runTransform feeds batches, returns every output, rejection and count', async () => {
    const time = new EventTimeline('2026-01-01T00:00:10Z')
    const input = [
      [tick(time, 100), tick(time.advance('40s'), 101)],
      [tick(time.advance('20s'), 99), tick(time.advance('-50s'), 150)],
    ]
    const run = await runTransform(ohlc, {size: '1m'}, input)
    expect(run.batches).to.have.length(2)
    expect(run.batches[0]).to.deep.equal([])
    expect(run.records).to.have.length(1)
    expect(run.records[0]).to.include({
      window_start: '2026-01-01T00:00:00.000Z',
      open: 100,
      high: 101,
      close: 101,
      count: 2,
    })
    expect(run.rejected.map((r) => r.code)).to.deep.equal(['ETL_RECORD_LATE'])
    expect(run.rejected[0].record).to.include({price_usd: 150})
  })

  it('a checkpoint restored into a new instance continues exactly (a restart)', async () => {
    const time = new EventTimeline('2026-01-01T00:00:10Z')
    const first = await runTransform(ohlc, {size: '1m'}, [tick(time, 100), tick(time.advance('20s'), 103)])
    expect(first.records).to.deep.equal([])
    expect(first.state).to.not.equal(undefined)
    const second = await runTransform(ohlc, {size: '1m'}, [tick(time.advance('40s'), 90)], {restore: first.state})
    expect(second.records).to.have.length(1)
    expect(second.records[0]).to.include({open: 100, high: 103, close: 103, count: 2})
  })

  it('TransformHarness drives one instance batch by batch; inputs are copied, not shared', async () => {
    const harness = await TransformHarness.create(sma, {period: 2, field: 'price_usd'})
    const record = {symbol: 'BTC', vs_currency: 'usd', price_usd: 10}
    const [first] = await harness.process([record])
    const [second] = await harness.process([{...record, price_usd: 20}])
    expect(first).to.include({price_usd: 10, price_usd_sma_2: null})
    expect(second).to.include({price_usd: 20, price_usd_sma_2: 15})
    expect(record).to.deep.equal({symbol: 'BTC', vs_currency: 'usd', price_usd: 10})
    expect(await harness.flush()).to.deep.equal([])
    await harness.close()
  })

  it('refuses a config its schema refuses, naming the field', async () => {
    let message = ''
    await runTransform(ohlc, {size: 'soon'}, []).catch((error: Error) => (message = error.message))
    expect(message).to.match(/^invalid transform "ohlc" config: size: /)
  })
})
