import {expect} from 'chai'
import zscore from '../../../src/plugins/transform/zscore.js'
import type {EtlRecord, TransformInstance} from '../../../src/runtime/plugin-types.js'
import {configFor, testContext, issuesOf} from '../../support/plugin-context.js'
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

async function zscoreTransform(config: Record<string, unknown> = {}) {
  const test = testContext()
  const instance = (await zscore.create(configFor(zscore, config), test.context)) as TransformInstance
  return {...test, instance}
}

/** Reference z of a window's last value: sample stddev (n − 1), two-pass; 0 for a flat window. */
function referenceZ(window: number[]): number {
  if (window.every((value) => value === window[0])) return 0
  const m = mean(window)
  const variance = window.reduce((sum, value) => sum + (value - m) ** 2, 0) / (window.length - 1)
  return (window[window.length - 1] - m) / Math.sqrt(variance)
}

function referenceZscores(values: number[], period: number): (number | null)[] {
  return values.map((_, i) => (i + 1 < period ? null : referenceZ(values.slice(i + 1 - period, i + 1))))
}

const prices = (records: EtlRecord[]) => records.map((record) => record.price_usd as number)
const SERIES = [
  ['BTC', 'usd'],
  ['ETH', 'usd'],
  ['BTC', 'eur'],
] as const

describe('zscore transform', () => {
  const stream = interleave([btcDaily(), ethFiveMinute(), btcEurDaily()])

  for (const period of [2, 20, 100]) {
    it(`matches a fresh two-pass z-score for every record of interleaved real series (period ${period})`, async () => {
      const {instance} = await zscoreTransform({period})
      const out = await instance.process(stream)
      expect(out).to.have.length(stream.length)
      let flat = 0
      for (const [symbol, currency] of SERIES) {
        const expected = referenceZscores(prices(seriesOf(stream, symbol, currency)), period)
        const actual = seriesOf(out, symbol, currency).map((record) => record[`price_usd_zscore_${period}`])
        // A z-score is in units of standard deviations and passes through 0, so the error is relative to max(|z|, 1).
        actual.forEach((value, i) => expectClose(value, expected[i], `${symbol}/${currency} #${i}`, 1e-9, 1))
        flat += expected.filter((value) => value === 0).length
      }
      expect(flat, 'the flat five-minute stretches take the stddev = 0 path').to.be.greaterThan(100)
    })
  }

  it('flags |z| ≥ threshold as <as>_anomaly (null while z is null)', async () => {
    const {instance} = await zscoreTransform({period: 20, threshold: 2.5, as: 'z'})
    const out = await instance.process(stream)
    let anomalies = 0
    for (const record of out) {
      if (record.z === null) expect(record.z_anomaly).to.equal(null)
      else if (Math.abs(Math.abs(record.z as number) - 2.5) > 1e-9) {
        expect(record.z_anomaly).to.equal(Math.abs(record.z as number) >= 2.5)
        if (record.z_anomaly) anomalies++
      }
    }
    expect(anomalies).to.be.greaterThan(10)
    const plain = await (await zscoreTransform({period: 20})).instance.process(stream.slice(0, 50))
    expect(plain.some((record) => Object.hasOwn(record, 'price_usd_zscore_20_anomaly'))).to.equal(false)
  })

  it('gives exactly 0 for a flat window and the bounded extreme for a lone outlier', async () => {
    const {instance} = await zscoreTransform({period: 4, key: []})
    const out = await instance.process([10.9, 10.9, 10.9, 10.9, 12].map((price_usd) => ({price_usd})))
    expect(out.map((record) => record.price_usd_zscore_4)).to.deep.equal([
      null,
      null,
      null,
      0,
      out[4].price_usd_zscore_4,
    ])
    expectClose(out[4].price_usd_zscore_4, 3 / 2, 'lone outlier: (n − 1)/√n')
  })

  it('reports a threshold the z-score can never reach for its period', async () => {
    expect(await issuesOf(zscore, configFor(zscore, {period: 11, threshold: 3}))).to.deep.equal([])
    const issues = await issuesOf(zscore, configFor(zscore, {period: 10, threshold: 3}))
    expect(issues.map((issue) => issue.path)).to.deep.equal([['threshold']])
    expect(issues[0].message).to.include('never be reached').and.include('2.846')
    expect(() => configFor(zscore, {period: 1})).to.throw(/period/)
  })

  it('gives the same output whatever the batch boundaries', async () => {
    const whole = await (await zscoreTransform({period: 20, threshold: 2})).instance.process(stream)
    const {instance} = await zscoreTransform({period: 20, threshold: 2})
    expect(await runBatches(instance, stream, 11)).to.deep.equal(whole)
  })

  it('dead-letters non-finite values without touching the window', async () => {
    const {instance, rejected} = await zscoreTransform({period: 3, key: []})
    const out = await instance.process([
      {price_usd: 1},
      {price_usd: 2},
      {price_usd: 'NaN'},
      {price_usd: null},
      {},
      {price_usd: 6},
    ])
    expectClose(out[2].price_usd_zscore_3, referenceZ([1, 2, 6]), 'z after the rejected records')
    expect(out).to.have.length(3)
    expect(rejected.map((r) => r.code)).to.deep.equal([
      'ETL_VALUE_NOT_FINITE',
      'ETL_VALUE_NOT_FINITE',
      'ETL_VALUE_NOT_FINITE',
    ])
  })

  it('does not drift: after 1e6 updates the output equals a fresh z-score of the window', async function () {
    this.timeout(60_000)
    const n = 1_000_000
    const period = 30
    const next = random(5)
    // Huge values, then a near-flat tail (1 + up to 1e-3): a mean off by running-sum residue would wreck those
    // z-scores. (Flatter tails would test the reference's own rounding: z is only defined to ~ε·mean/stddev.)
    const values = Array.from({length: n}, (_, i) => (i < n - 100 ? 1e8 + next() * 1e9 : 1 + next() * 1e-3))
    const {instance} = await zscoreTransform({period, key: []})
    const tail: EtlRecord[] = []
    for (let start = 0; start < n; start += 10_000) {
      const out = await instance.process(values.slice(start, start + 10_000).map((price_usd) => ({price_usd})))
      if (start + 10_000 >= n) tail.push(...out.slice(-100))
    }
    tail.forEach((record, i) => {
      const end = n - 100 + i + 1
      expectClose(record.price_usd_zscore_30, referenceZ(values.slice(end - period, end)), `record ${end - 1}`, 1e-9, 1)
    })
  })
})
