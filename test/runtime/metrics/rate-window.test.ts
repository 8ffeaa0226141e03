import {expect} from 'chai'
import {RATE_WINDOW_SECONDS, RateWindow} from '../../../src/runtime/metrics/rate-window.js'

describe('RateWindow (records per second over the last seconds)', () => {
  it('divides the increase since the oldest kept sample by the time between them', () => {
    let now = 0
    const totals = new Map([['a', 0]])
    const window = new RateWindow(
      () => totals,
      () => now,
    )
    window.sample()
    expect(window.rates().size, 'no time has passed').to.equal(0)
    now = 2000
    totals.set('a', 300)
    expect(window.rates().get('a')).to.equal(150)
  })

  it('forgets samples older than the window, so an old burst stops counting', () => {
    let now = 0
    const totals = new Map([['a', 0]])
    const window = new RateWindow(
      () => totals,
      () => now,
    )
    window.sample()
    now = 1000
    totals.set('a', 10_000) // a burst in the first second
    window.sample()
    for (let second = 2; second <= RATE_WINDOW_SECONDS + 3; second++) {
      now = second * 1000
      totals.set('a', 10_000 + (second - 1) * 10)
      window.sample()
    }
    expect(window.rates().get('a')).to.be.closeTo(10, 0.001)
  })
})
