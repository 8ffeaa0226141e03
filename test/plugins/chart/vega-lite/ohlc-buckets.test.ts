import {expect} from 'chai'
import {ohlcBuckets, type CandleColumns} from '../../../../src/plugins/chart/vega-lite/ohlc-buckets.js'

/** Ten hand-made candles: t = 0..9, open = i, close = i + 0.5, high = i + 2 (i + 20 at 6), low = i − 1, volume = i. */
function candles(): CandleColumns {
  const n = 10
  const columns = {
    t: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
    value: new Float64Array(n),
    ma: new Float64Array(n),
  }
  for (let i = 0; i < n; i++) {
    columns.t[i] = i * 1000
    columns.open[i] = i
    columns.close[i] = i + 0.5
    columns.high[i] = i === 6 ? 26 : i + 2
    columns.low[i] = i - 1
    columns.volume[i] = i
    columns.value[i] = i + 0.5
    columns.ma[i] = i === 0 ? NaN : i
  }
  return columns
}

describe('ohlcBuckets', () => {
  it('merges consecutive candles into at most maxPoints buckets of equal count', () => {
    // ceil(10 / 3) = 4 per bucket: [0..3], [4..7], [8..9].
    const buckets = ohlcBuckets(candles(), 0, 10, 3)
    expect(buckets).to.deep.equal([
      {t: 0, open: 0, high: 5, low: -1, close: 3.5, volume: 6, value: 3.5, ma: 3, count: 4},
      {t: 4000, open: 4, high: 26, low: 3, close: 7.5, volume: 22, value: 7.5, ma: 7, count: 4},
      {t: 8000, open: 8, high: 11, low: 7, close: 9.5, volume: 17, value: 9.5, ma: 9, count: 2},
    ])
  })

  it('preserves the overall high, low and total volume', () => {
    const all = candles()
    for (const maxPoints of [1, 2, 3, 4, 7, 10, 50]) {
      const buckets = ohlcBuckets(all, 0, 10, maxPoints)
      expect(buckets.length).to.be.at.most(maxPoints)
      expect(Math.max(...buckets.map((b) => b.high))).to.equal(26)
      expect(Math.min(...buckets.map((b) => b.low))).to.equal(-1)
      expect(buckets.reduce((sum, b) => sum + b.volume, 0)).to.equal(45)
      expect(buckets.reduce((sum, b) => sum + b.count, 0)).to.equal(10)
      expect(buckets[0].open).to.equal(0)
      expect(buckets.at(-1)!.close).to.equal(9.5)
    }
  })

  it('keeps each candle as it is when they already fit', () => {
    const buckets = ohlcBuckets(candles(), 0, 10, 10)
    expect(buckets).to.have.length(10)
    expect(buckets[6]).to.include({t: 6000, open: 6, high: 26, low: 5, close: 6.5, volume: 6, count: 1})
    expect(Number.isNaN(buckets[0].ma)).to.equal(true)
  })

  it('aligns bucket edges to the absolute row number so buckets do not shift as the window slides', () => {
    // Phase 2 with size 4: edges at absolute rows 4 and 8 → local [0..1], [2..5], [6..9].
    const buckets = ohlcBuckets(candles(), 0, 10, 3, 2)
    expect(buckets.map((b) => b.count)).to.deep.equal([2, 4, 4])
    expect(buckets.map((b) => b.t)).to.deep.equal([0, 2000, 6000])
    // A partial bucket at each end that would exceed maxPoints widens the buckets instead.
    expect(ohlcBuckets(candles(), 0, 10, 3, 3).length).to.be.at.most(3)
  })

  it('handles an empty range and a sub-range', () => {
    expect(ohlcBuckets(candles(), 4, 4, 3)).to.deep.equal([])
    const buckets = ohlcBuckets(candles(), 4, 8, 2)
    expect(buckets.map((b) => [b.open, b.close, b.count])).to.deep.equal([
      [4, 5.5, 2],
      [6, 7.5, 2],
    ])
  })
})
