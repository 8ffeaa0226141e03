/** pollOnGrid: polls on a fixed grid from the first one, skipping (and counting) ticks a slow poll overran. */
import {expect} from 'chai'
import {pollOnGrid} from '../../../../src/plugins/shared/polling/poll-on-grid.js'
import {TestClock, testContext} from '../../../../src/testing/index.js'

describe('pollOnGrid', () => {
  it('polls at start + n × interval, whatever each poll takes, and skips the ticks a slow poll overran', async () => {
    // Sleeps advance the clock by themselves; a poll's duration is an advance() inside it.
    const clock = new TestClock({start: 0, auto: true})
    const {context, counts} = testContext({clock})
    const controller = new AbortController()
    const polledAt: number[] = []
    // Polls take 200 ms, except the third, which takes 2.5 intervals.
    const durations = [200, 200, 2500, 200, 200]
    const poll = async () => {
      polledAt.push(clock.now())
      const took = durations[polledAt.length - 1] ?? 0
      if (polledAt.length === durations.length) controller.abort()
      await clock.advance(took)
    }
    await pollOnGrid(poll, 1000, context, controller.signal)
    // 0, 1000, 2000 (takes until 4500: the ticks at 3000 and 4000 are skipped), then 5000, 6000.
    expect(polledAt).to.deep.equal([0, 1000, 2000, 5000, 6000])
    expect(counts.get('poll_ticks_skipped')).to.equal(2)
  })
})
