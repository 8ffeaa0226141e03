import {expect} from 'chai'
import {RollingSum} from '../../../../src/plugins/shared/rolling/rolling-sum.js'
import {random} from './price-history.js'

describe('RollingSum', () => {
  it('sums the last `capacity` values, evicting the oldest', () => {
    const sum = new RollingSum(3)
    expect([1, 2, 3, 4, 5].map((value) => (sum.push(value), sum.sum))).to.deep.equal([1, 3, 6, 9, 12])
    expect([sum.size, sum.full]).to.deep.equal([3, true])
  })

  it('equals a fresh sum of its window after 1e6 pushes of wildly different magnitudes', () => {
    const next = random(2)
    const capacity = 16
    const sum = new RollingSum(capacity)
    let naive = 0
    const recent: number[] = []
    for (let i = 0; i < 1_000_000; i++) {
      // Mostly ~1e12 values, ending with values ~1: the big ones must leave no trace once they leave the window.
      const value = i < 999_900 ? next() * 1e12 : next()
      const evicted = sum.push(value)
      naive += value - (evicted ?? 0)
      recent.push(value)
      if (recent.length > capacity) recent.shift()
    }
    const fresh = recent.reduce((a, b) => a + b, 0)
    expect(Math.abs(naive - fresh) / fresh, 'a plain running sum drifts on this data').to.be.greaterThan(1e-6)
    expect(Math.abs(sum.sum - fresh) / fresh).to.be.lessThan(1e-12)
  })
})
