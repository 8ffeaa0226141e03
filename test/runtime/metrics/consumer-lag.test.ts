import {expect} from 'chai'
import {lagOf} from '../../../src/runtime/metrics/consumer-lag.js'

describe('consumer lag per partition', () => {
  it('is the end offset minus the committed offset, and a whole partition where nothing is committed', () => {
    const end = new Map([
      [0, 100n],
      [1, 50n],
      [2, 0n],
    ])
    const committed = new Map([
      [0, 100n],
      [1, 20n],
      [2, -1n],
    ])
    expect([...lagOf(end, committed)]).to.deep.equal([
      [0, 0],
      [1, 30],
      [2, 0],
    ])
    expect(lagOf(new Map([[0, 7n]]), new Map()).get(0)).to.equal(7)
  })

  it('is never negative (a commit read after a newer end offset)', () => {
    expect(lagOf(new Map([[0, 10n]]), new Map([[0, 12n]])).get(0)).to.equal(0)
  })
})
