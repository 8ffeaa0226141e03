import {expect} from 'chai'
import pctChange from '../../../src/plugins/transform/pct-change.js'
import type {EtlRecord, TransformInstance} from '../../../src/runtime/plugin-types.js'
import {configFor, testContext} from '../../support/plugin-context.js'
import {
  btcDaily,
  btcEurDaily,
  ethFiveMinute,
  expectClose,
  interleave,
  runBatches,
  seriesOf,
} from '../shared/rolling/price-history.js'

async function pctChangeTransform(config: Record<string, unknown> = {}) {
  const test = testContext()
  const instance = (await pctChange.create(configFor(pctChange, config), test.context)) as TransformInstance
  return {...test, instance}
}

/** Reference: (x_t / x_{t−n} − 1) × 100, null without history or when x_{t−n} is 0. */
function referencePctChange(values: number[], periods: number): (number | null)[] {
  return values.map((value, i) =>
    i < periods || values[i - periods] === 0 ? null : (value / values[i - periods] - 1) * 100,
  )
}

const prices = (records: EtlRecord[]) => records.map((record) => record.price_usd as number)
const SERIES = [
  ['BTC', 'usd'],
  ['ETH', 'usd'],
  ['BTC', 'eur'],
] as const

describe('pct_change transform', () => {
  const stream = interleave([btcDaily(), ethFiveMinute(), btcEurDaily()])

  for (const periods of [1, 7, 365]) {
    it(`matches (x_t / x_t-n − 1) × 100 for every record of interleaved real series (periods ${periods})`, async () => {
      const {instance} = await pctChangeTransform({periods})
      const out = await instance.process(stream)
      expect(out).to.have.length(stream.length)
      let moves = 0
      for (const [symbol, currency] of SERIES) {
        const expected = referencePctChange(prices(seriesOf(stream, symbol, currency)), periods)
        const actual = seriesOf(out, symbol, currency).map((record) => record[`price_usd_pct_change_${periods}`])
        actual.forEach((value, i) => expectClose(value, expected[i], `${symbol}/${currency} #${i}`))
        moves += expected.filter((value) => value !== null && value !== 0).length
      }
      expect(moves).to.be.greaterThan(5_000)
    })
  }

  it('gives null and counts a division by zero; honours as and key', async () => {
    const {instance, counts} = await pctChangeTransform({periods: 2, as: 'chg', key: ['coin']})
    const values = [0, 5, 10, 10, 20]
    const out = await instance.process(
      values.flatMap((price_usd) => [
        {coin: 'a', price_usd},
        {coin: 'b', price_usd: price_usd + 1},
      ]),
    )
    expect(out.filter((r) => r.coin === 'a').map((r) => r.chg)).to.deep.equal([null, null, null, 100, 100])
    const expectedB = [null, null, 1000, (11 / 6 - 1) * 100, (21 / 11 - 1) * 100]
    out.filter((r) => r.coin === 'b').forEach((r, i) => expectClose(r.chg, expectedB[i], `b #${i}`))
    expect(counts.get('pct_change_division_by_zero')).to.equal(1)
  })

  it('gives the same output whatever the batch boundaries', async () => {
    const whole = await (await pctChangeTransform({periods: 3})).instance.process(stream)
    const {instance} = await pctChangeTransform({periods: 3})
    expect(await runBatches(instance, stream, 5)).to.deep.equal(whole)
  })

  it('dead-letters non-finite values; they do not enter the history', async () => {
    const {instance, rejected} = await pctChangeTransform({key: []})
    const out = await instance.process([{price_usd: 100}, {price_usd: -Infinity}, {price_usd: {}}, {price_usd: 110}])
    expect(out.map((r) => r.price_usd_pct_change_1)).to.deep.equal([null, 10])
    expect(rejected.map((r) => [r.code, r.reason])).to.deep.equal([
      ['ETL_VALUE_NOT_FINITE', 'price_usd is -Infinity, not a finite number'],
      ['ETL_VALUE_NOT_FINITE', 'price_usd is {}, not a finite number'],
    ])
  })
})
