import {expect} from 'chai'
import vwap from '../../../src/plugins/transform/vwap.js'
import type {EtlRecord, TransformInstance} from '../../../src/runtime/plugin-types.js'
import {configFor, testContext} from '../../support/plugin-context.js'
import {
  btcDaily,
  btcEurDaily,
  ethFiveMinute,
  expectClose,
  interleave,
  random,
  runBatches,
  seriesOf,
} from '../shared/rolling/price-history.js'

async function vwapTransform(config: Record<string, unknown> = {}) {
  const test = testContext()
  const instance = (await vwap.create(
    configFor(vwap, {volume: 'volume', ...config}),
    test.context,
  )) as TransformInstance
  return {...test, instance}
}

/** Reference: Σ(p·v)/Σv over the slice ending at each record; null before `period` records or when Σv is 0. */
function referenceVwap(records: EtlRecord[], period: number): (number | null)[] {
  return records.map((_, i) => {
    if (i + 1 < period) return null
    const window = records.slice(i + 1 - period, i + 1)
    const volume = window.reduce((sum, r) => sum + (r.volume as number), 0)
    if (volume === 0) return null
    return window.reduce((sum, r) => sum + (r.price_usd as number) * (r.volume as number), 0) / volume
  })
}

const SERIES = [
  ['BTC', 'usd'],
  ['ETH', 'usd'],
  ['BTC', 'eur'],
] as const

describe('vwap transform', () => {
  const stream = interleave([btcDaily(), ethFiveMinute(), btcEurDaily()])

  for (const period of [1, 20, 100]) {
    it(`matches a fresh Σ(p·v)/Σv for every record of interleaved real series (period ${period})`, async () => {
      const {instance, counts} = await vwapTransform({period})
      const out = await instance.process(stream)
      expect(out).to.have.length(stream.length)
      let zeroVolumeWindows = 0
      for (const [symbol, currency] of SERIES) {
        const input = seriesOf(stream, symbol, currency)
        const expected = referenceVwap(input, period)
        const actual = seriesOf(out, symbol, currency).map((record) => record[`vwap_${period}`])
        actual.forEach((value, i) => expectClose(value, expected[i], `${symbol}/${currency} #${i}`))
        zeroVolumeWindows += expected.filter((value, i) => value === null && i + 1 >= period).length
      }
      // The five-minute series has long zero-volume runs: the null-and-count path is really taken.
      expect(zeroVolumeWindows).to.be.greaterThan(100)
      expect(counts.get('vwap_zero_volume')).to.equal(zeroVolumeWindows)
    })
  }

  it('gives null (counted), not 0/0 or rounding residue, once every volume in the window is 0 again', async () => {
    const {instance, counts} = await vwapTransform({period: 3, key: []})
    const volumes = [0.1, 0.2, 0.7, 0, 0, 0, 0.3]
    const out = await instance.process(volumes.map((volume, i) => ({price_usd: 10 + i, volume})))
    const expected = [null, null, (10 * 0.1 + 11 * 0.2 + 12 * 0.7) / 1, (11 * 0.2 + 12 * 0.7) / 0.9, 12, null, 16]
    out.forEach((record, i) => expectClose(record.vwap_3, expected[i], `#${i}`))
    expect(counts.get('vwap_zero_volume')).to.equal(1)
  })

  it('gives the same output whatever the batch boundaries, and honours price, as and key', async () => {
    const config = {price: 'price_usd', period: 10, as: 'v', key: ['symbol', 'vs_currency']}
    const whole = await (await vwapTransform(config)).instance.process(stream)
    expect(whole[whole.length - 1]).to.have.property('v')
    const {instance} = await vwapTransform(config)
    expect(await runBatches(instance, stream, 9)).to.deep.equal(whole)
  })

  it('dead-letters bad prices or volumes (and negative volumes) without touching the window', async () => {
    const {instance, rejected} = await vwapTransform({period: 2})
    const bad: EtlRecord[] = [
      {symbol: 'A', price_usd: 5},
      {symbol: 'A', price_usd: Number.NaN, volume: 1},
      {symbol: 'A', price_usd: 5, volume: Infinity},
      {symbol: 'A', price_usd: 5, volume: -1},
      {symbol: 'A', price_usd: 1e300, volume: 1e300},
    ]
    const out = await instance.process([
      {symbol: 'A', price_usd: 1, volume: 1},
      ...bad,
      {symbol: 'A', price_usd: 3, volume: 3},
    ])
    expect(out.map((record) => record.vwap_2)).to.deep.equal([null, (1 + 9) / 4])
    expect(rejected.map((r) => r.record)).to.deep.equal(bad)
    expect(rejected.map((r) => [r.code, r.reason])).to.deep.equal([
      ['ETL_VALUE_NOT_FINITE', 'volume is missing'],
      ['ETL_VALUE_NOT_FINITE', 'price_usd is NaN, not a finite number'],
      ['ETL_VALUE_NOT_FINITE', 'volume is Infinity, not a finite number'],
      ['ETL_RECORD_INVALID', 'volume is -1, a negative volume'],
      ['ETL_VALUE_NOT_FINITE', 'price_usd × volume overflows (1e+300 × 1e+300)'],
    ])
  })

  it('requires the volume field in its config', () => {
    expect(() => configFor(vwap, {})).to.throw(/volume/)
  })

  it('does not drift: after 1e6 updates the output equals a fresh Σ(p·v)/Σv of the window', async function () {
    this.timeout(60_000)
    const n = 1_000_000
    const period = 40
    const next = random(9)
    // Huge trades first, tiny ones last, so residue left in a plain running sum would swamp the final windows.
    const rows = Array.from({length: n}, (_, i) =>
      i < n - 100
        ? {price_usd: 1e4 + next() * 1e5, volume: 1e3 + next() * 1e6}
        : {price_usd: 1 + next(), volume: 1e-3 + next() * 1e-3},
    )
    const {instance} = await vwapTransform({period, key: []})
    const tail: EtlRecord[] = []
    for (let start = 0; start < n; start += 10_000) {
      const out = await instance.process(rows.slice(start, start + 10_000))
      if (start + 10_000 >= n) tail.push(...out.slice(-100))
    }
    const expected = referenceVwap(rows.slice(n - 100 - period + 1), period).slice(period - 1)
    tail.forEach((record, i) => expectClose(record.vwap_40, expected[i], `record ${n - 100 + i}`))
  })
})
