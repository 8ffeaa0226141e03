import {expect} from 'chai'
import ema, {emaFieldName} from '../../../src/plugins/transform/ema.js'
import type {EtlRecord, TransformInstance} from '../../../src/runtime/plugin-types.js'
import {configFor, testContext} from '../../support/plugin-context.js'
import {
  btcDaily,
  btcEurDaily,
  ethFiveMinute,
  expectClose,
  interleave,
  mean,
  runBatches,
  seriesOf,
} from '../shared/rolling/price-history.js'

async function emaTransform(config: Record<string, unknown> = {}) {
  const test = testContext()
  const instance = (await ema.create(configFor(ema, config), test.context)) as TransformInstance
  return {...test, instance}
}

/**
 * Reference: null for the first period − 1 values, the SMA of the first `period` at index period − 1,
 * then α·x + (1 − α)·prev.
 */
function referenceEma(values: number[], period: number, alpha = 2 / (period + 1)): (number | null)[] {
  const out: (number | null)[] = []
  let previous = 0
  values.forEach((value, i) => {
    if (i + 1 < period) out.push(null)
    else {
      previous = i + 1 === period ? mean(values.slice(0, period)) : alpha * value + (1 - alpha) * previous
      out.push(previous)
    }
  })
  return out
}

const prices = (records: EtlRecord[]) => records.map((record) => record.price_usd as number)
const SERIES = [
  ['BTC', 'usd'],
  ['ETH', 'usd'],
  ['BTC', 'eur'],
] as const

describe('ema transform', () => {
  const stream = interleave([btcDaily(), ethFiveMinute(), btcEurDaily()])

  async function expectReference(config: Record<string, unknown>, field: string, period: number, alpha?: number) {
    const {instance} = await emaTransform(config)
    const out = await instance.process(stream)
    expect(out).to.have.length(stream.length)
    for (const [symbol, currency] of SERIES) {
      const expected = referenceEma(prices(seriesOf(stream, symbol, currency)), period, alpha)
      const actual = seriesOf(out, symbol, currency).map((record) => record[field])
      expect(actual).to.have.length(expected.length)
      actual.forEach((value, i) => expectClose(value, expected[i], `${symbol}/${currency} #${i}`))
      expect(actual[period - 1]).to.be.a('number')
    }
  }

  for (const period of [1, 12, 26]) {
    it(`matches a reference EMA seeded with the SMA on interleaved real series (period ${period})`, async () => {
      await expectReference({period}, `price_usd_ema_${period}`, period)
    })
  }

  it('uses alpha instead of 2/(period+1) and still seeds with the SMA of `period` values', async () => {
    await expectReference({alpha: 0.1, period: 20}, 'price_usd_ema_alpha_0_1', 20, 0.1)
    // period 1 with alpha is pandas ewm(alpha, adjust=False): the first value starts the average.
    await expectReference({alpha: 0.3, period: 1, as: 'e'}, 'e', 1, 0.3)
  })

  it('names its field after field and period, or after alpha', () => {
    expect(emaFieldName({field: 'close', period: 9})).to.equal('close_ema_9')
    expect(emaFieldName({field: 'close', period: 9, alpha: 0.25})).to.equal('close_ema_alpha_0_25')
    expect(() => configFor(ema, {alpha: 0})).to.throw(/alpha/)
    expect(() => configFor(ema, {alpha: 1.5})).to.throw(/alpha/)
  })

  it('gives the same output whatever the batch boundaries', async () => {
    const whole = await (await emaTransform({period: 10})).instance.process(stream)
    for (const maxBatch of [1, 13]) {
      const {instance} = await emaTransform({period: 10})
      expect(await runBatches(instance, stream, maxBatch, maxBatch)).to.deep.equal(whole)
    }
  })

  it('dead-letters non-finite values without touching the average, per series', async () => {
    const {instance, rejected} = await emaTransform({period: 2})
    const out = await instance.process([
      {symbol: 'A', price_usd: 1},
      {symbol: 'B', price_usd: 100},
      {symbol: 'A', price_usd: Number.NaN},
      {symbol: 'A'},
      {symbol: 'A', price_usd: 3},
      {symbol: 'A', price_usd: 'Infinity'},
      {symbol: 'A', price_usd: 6},
    ])
    // A: seed mean(1, 3) = 2, then 2 + (2/3)·(6 − 2); B never reaches its period.
    expect(out.map((record) => [record.symbol, record.price_usd_ema_2])).to.deep.equal([
      ['A', null],
      ['B', null],
      ['A', 2],
      ['A', 2 + (2 / 3) * 4],
    ])
    expect(rejected.map((r) => [r.code, r.reason])).to.deep.equal([
      ['ETL_VALUE_NOT_FINITE', 'price_usd is NaN, not a finite number'],
      ['ETL_VALUE_NOT_FINITE', 'price_usd is missing'],
      ['ETL_VALUE_NOT_FINITE', 'price_usd is "Infinity", not a finite number'],
    ])
  })
})
