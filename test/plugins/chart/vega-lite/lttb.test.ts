import {expect} from 'chai'
import {lttbIndices, niceCeil, stableLttbIndices} from '../../../../src/plugins/chart/vega-lite/lttb.js'

const range = (n: number) => Array.from({length: n}, (_, i) => i)

describe('lttbIndices', () => {
  it('returns every index when the range already fits', () => {
    expect([...lttbIndices(range(5), [1, 2, 3, 4, 5], 0, 5, 5)]).to.deep.equal([0, 1, 2, 3, 4])
    expect([...lttbIndices(range(5), [1, 2, 3, 4, 5], 1, 4, 10)]).to.deep.equal([1, 2, 3])
    expect([...lttbIndices([], [], 0, 0, 10)]).to.deep.equal([])
  })

  it('keeps only the first and last point at threshold 2', () => {
    expect([...lttbIndices(range(10), range(10), 0, 10, 2)]).to.deep.equal([0, 9])
  })

  it('picks the largest triangle in each bucket (worked by hand)', () => {
    // every = (10 - 2) / (4 - 2) = 4: buckets are indices 1..4 and 5..8.
    // Bucket 1: a = (0,0), next-bucket average = (6.5, −1.25); area = |−6.5·y − 1.25·x| → 68.75 at the peak (3) wins.
    // Bucket 2: a = (3,10), next "bucket" = the last point (9,0); area = |−6(y−10) + 10(3−x)|:
    //   x=5 → 40, x=6 (y=−5) → 60, x=7 → 20, x=8 → 10, so 6 wins.
    const y = [0, 0, 0, 10, 0, 0, -5, 0, 0, 0]
    expect([...lttbIndices(range(10), y, 0, 10, 4)]).to.deep.equal([0, 3, 6, 9])
  })

  it('works on a sub-range and returns absolute indices', () => {
    const y = [99, 99, 0, 0, 0, 10, 0, 0, -5, 0, 0, 0, 99]
    expect([...lttbIndices(range(13), y, 2, 12, 4)]).to.deep.equal([2, 5, 8, 11])
  })

  it('keeps a one-sample spike in a long noisy series and returns increasing indices', () => {
    const n = 100_000
    const x = new Float64Array(n)
    const y = new Float64Array(n)
    let seed = 42
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let i = 0; i < n; i++) {
      x[i] = i * 300_000
      y[i] = 100 + random()
    }
    y[61_234] = 500
    const picked = lttbIndices(x, y, 0, n, 800)
    expect(picked.length).to.equal(800)
    expect(picked[0]).to.equal(0)
    expect(picked[799]).to.equal(n - 1)
    expect([...picked]).to.include(61_234)
    for (let i = 1; i < picked.length; i++) expect(picked[i]).to.be.greaterThan(picked[i - 1])
  })
})

describe('stableLttbIndices', () => {
  function walk(n: number, seed = 7) {
    const x = new Float64Array(n)
    const y = new Float64Array(n)
    let value = 100
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      value += seed / 2 ** 31 - 0.5
      x[i] = i
      y[i] = value
    }
    return {x, y}
  }

  it('rounds bucket sizes up to nice numbers', () => {
    expect([0.5, 1, 4.2, 5, 5.1, 6.5, 7, 9, 11, 125.3, 130, 151, 801].map(niceCeil)).to.deep.equal([
      1, 1, 5, 5, 6, 8, 8, 10, 13, 150, 150, 200, 1000,
    ])
  })

  it('keeps first and last, stays within threshold, draws at least 80% of it and keeps a spike', () => {
    const {x, y} = walk(100_000)
    y[54_321] = 1000
    for (const phase of [0, 3, 12_345]) {
      const picked = stableLttbIndices(x, y, 0, x.length, 800, phase)
      expect(picked[0]).to.equal(0)
      expect(picked.at(-1)).to.equal(x.length - 1)
      expect(picked.length).to.be.within(640, 800)
      expect([...picked]).to.include(54_321)
      for (let i = 1; i < picked.length; i++) expect(picked[i]).to.be.greaterThan(picked[i - 1])
    }
  })

  it('changes only the last few points when a row arrives, unlike classic LTTB', () => {
    const {x, y} = walk(100_050)
    const changed = (pick: (end: number) => Int32Array) => {
      const before = new Set(pick(100_000))
      return [...pick(100_001)].filter((i) => !before.has(i)).length
    }
    expect(changed((end) => stableLttbIndices(x, y, 0, end, 800, 0))).to.be.at.most(3)
    expect(changed((end) => lttbIndices(x, y, 0, end, 800))).to.be.greaterThan(10)
    // A sliding window (one row in, one out) keeps the interior too, apart from the ends.
    const before = stableLttbIndices(x, y, 0, 100_000, 800, 0)
    const slid = new Set(stableLttbIndices(x, y, 1, 100_001, 800, 1))
    expect([...before].filter((i) => slid.has(i)).length).to.be.at.least(before.length - 4)
  })
})
