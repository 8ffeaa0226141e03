import {expect} from 'chai'
import sma from '../../../src/plugins/transform/sma.js'
import type {EtlRecord, TransformInstance} from '../../../src/runtime/plugin-types.js'
import {configFor, testContext} from '../../support/plugin-context.js'
import {
  btcDaily,
  btcEurDaily,
  ethFiveMinute,
  expectClose,
  interleave,
  mean,
  random,
  runBatches,
  seriesOf,
} from '../shared/rolling/price-history.js'

async function smaTransform(config: Record<string, unknown> = {}) {
  const test = testContext()
  const instance = (await sma.create(configFor(sma, config), test.context)) as TransformInstance
  return {...test, instance}
}

/** Reference: null before `period` values, then the mean of the slice ending at each value. */
function referenceSma(values: number[], period: number): (number | null)[] {
  return values.map((_, i) => (i + 1 < period ? null : mean(values.slice(i + 1 - period, i + 1))))
}

const prices = (records: EtlRecord[]) => records.map((record) => record.price_usd as number)

describe('sma transform', () => {
  const stream = interleave([btcDaily(), ethFiveMinute(), btcEurDaily()])

  for (const period of [1, 20, 200]) {
    it(`matches a fresh slice mean for every record of interleaved real series (period ${period})`, async () => {
      const {instance} = await smaTransform({period})
      const out = await instance.process(stream)
      expect(out).to.have.length(stream.length)
      let compared = 0
      for (const [symbol, currency] of [
        ['BTC', 'usd'],
        ['ETH', 'usd'],
        ['BTC', 'eur'],
      ]) {
        const expected = referenceSma(prices(seriesOf(stream, symbol, currency)), period)
        const actual = seriesOf(out, symbol, currency).map((record) => record[`price_usd_sma_${period}`])
        expect(actual).to.have.length(expected.length)
        actual.forEach((value, i) => expectClose(value, expected[i], `${symbol}/${currency} #${i}`))
        compared += expected.filter((value) => value !== null).length
      }
      expect(compared).to.be.greaterThan(20_000)
    })
  }

  it('passes every record through in order, only adding its field, without modifying the input', async () => {
    const {instance} = await smaTransform({period: 3})
    const input = stream.slice(0, 500)
    const snapshot = structuredClone(input)
    const out = await instance.process(input)
    expect(input).to.deep.equal(snapshot)
    expect(out.map(({price_usd_sma_3: _, ...rest}) => rest)).to.deep.equal(snapshot)
    expect(out.every((record) => Object.hasOwn(record, 'price_usd_sma_3'))).to.equal(true)
  })

  it('gives the same output whatever the batch boundaries', async () => {
    const whole = await (await smaTransform({period: 20})).instance.process(stream)
    for (const maxBatch of [1, 7, 500]) {
      const {instance} = await smaTransform({period: 20})
      expect(await runBatches(instance, stream, maxBatch, maxBatch)).to.deep.equal(whole)
    }
  })

  it('dead-letters missing, null, NaN, Infinity and non-numeric values without touching the window', async () => {
    const {instance, rejected} = await smaTransform({period: 2})
    const good = (price: unknown) => ({symbol: 'BTC', price_usd: price})
    const bad: EtlRecord[] = [
      {symbol: 'BTC'},
      good(null),
      good(Number.NaN),
      good(Infinity),
      good(-Infinity),
      good('abc'),
      good(''),
    ]
    const out = await instance.process([good(1), ...bad.slice(0, 4), good('3'), ...bad.slice(4), good(5)])
    expect(out.map((record) => record.price_usd_sma_2)).to.deep.equal([null, 2, 4])
    expect(rejected.map((r) => r.record)).to.deep.equal(bad)
    expect(new Set(rejected.map((r) => r.code))).to.deep.equal(new Set(['ETL_VALUE_NOT_FINITE']))
    expect(rejected.map((r) => r.reason)).to.deep.equal([
      'price_usd is missing',
      'price_usd is null, not a finite number',
      'price_usd is NaN, not a finite number',
      'price_usd is Infinity, not a finite number',
      'price_usd is -Infinity, not a finite number',
      'price_usd is "abc", not a finite number',
      'price_usd is "", not a finite number',
    ])
  })

  it('keys by the configured fields (missing ones group together) and honours `as`', async () => {
    const {instance} = await smaTransform({period: 2, key: ['coin'], as: 'avg'})
    const out = await instance.process([
      {coin: 'a', price_usd: 1},
      {coin: 'b', price_usd: 10},
      {price_usd: 100},
      {coin: 'a', price_usd: 3},
      {price_usd: 300},
    ])
    expect(out.map((record) => record.avg)).to.deep.equal([null, null, null, 2, 200])
    const merged = await (
      await smaTransform({period: 2, key: []})
    ).instance.process([
      {symbol: 'A', price_usd: 1},
      {symbol: 'B', price_usd: 3},
    ])
    expect(merged[1].price_usd_sma_2).to.equal(2)
  })

  it('rejects a period below 1 in its schema', () => {
    expect(() => configFor(sma, {period: 0})).to.throw(/period/)
    expect(() => configFor(sma, {period: 2.5})).to.throw(/period/)
  })

  it('does not drift: after 1e6 updates the output equals a fresh mean of the window', async function () {
    this.timeout(60_000)
    const n = 1_000_000
    const period = 50
    const next = random(42)
    // Huge prices first, tiny ones last: a plain running sum keeps the rounding residue of the huge ones for ever.
    const values = Array.from({length: n}, (_, i) => (i < n - 200 ? 1e6 + next() * 1e9 : 0.001 + next() * 0.01))
    let naive = 0
    values.forEach((value, i) => (naive += value - (i >= period ? values[i - period] : 0)))
    const fresh = mean(values.slice(n - period))
    expect(Math.abs(naive / period - fresh) / fresh, 'the data must defeat a naive running sum').to.be.greaterThan(1e-6)

    const {instance} = await smaTransform({period, key: []})
    const tail: EtlRecord[] = []
    for (let start = 0; start < n; start += 10_000) {
      const out = await instance.process(values.slice(start, start + 10_000).map((price_usd) => ({price_usd})))
      if (start + 10_000 >= n) tail.push(...out.slice(-200))
    }
    tail.forEach((record, i) => {
      const end = n - 200 + i + 1
      expectClose(record.price_usd_sma_50, mean(values.slice(end - period, end)), `record ${end - 1}`)
    })
  })
})
