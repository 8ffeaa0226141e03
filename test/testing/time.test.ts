import {expect} from 'chai'
import {at, EventTimeline, TestClock} from '../../src/testing/index.js'

describe('etl/testing: clocks and event time', () => {
  it('TestClock: sleeps wait for advance(), earliest first; an abort wakes one at once', async () => {
    const clock = new TestClock({start: '2026-05-01T00:00:00Z'})
    const woke: string[] = []
    void clock.sleep(2000).then(() => woke.push('2s'))
    void clock.sleep(1000).then(() => woke.push('1s'))
    const abort = new AbortController()
    void clock.sleep(60_000, abort.signal).then(() => woke.push('aborted'))
    await clock.advance(999)
    expect(woke).to.deep.equal([])
    await clock.advance(1)
    expect(woke).to.deep.equal(['1s'])
    abort.abort()
    await clock.advance(1000)
    expect(woke).to.deep.equal(['1s', 'aborted', '2s'])
    expect(clock.iso()).to.equal('2026-05-01T00:00:02.000Z')
    expect(clock.sleeping).to.equal(0)
  })

  it('TestClock auto: each sleep moves virtual time forward by itself', async () => {
    const clock = new TestClock({start: 0, auto: true})
    await clock.sleep(1500)
    await clock.sleep(500)
    expect(clock.now()).to.equal(2000)
  })

  it('EventTimeline stamps records with event times, forward and back', () => {
    const time = new EventTimeline('2026-01-01T00:00:00Z')
    const rows = time.records([{n: 1}, {n: 2}, {n: 3}], '30s')
    expect(rows.map((row) => row.timestamp)).to.deep.equal([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:30.000Z',
      '2026-01-01T00:01:00.000Z',
    ])
    expect(time.advance('-45s').record({n: 4})).to.deep.equal({n: 4, timestamp: '2026-01-01T00:00:15.000Z'})
    expect(new EventTimeline(0, 'time').record({}, {at: 1000})).to.deep.equal({time: '1970-01-01T00:00:01.000Z'})
    expect(at('2026-01-01T00:00:00+01:00', {x: 1})).to.deep.equal({x: 1, timestamp: '2025-12-31T23:00:00.000Z'})
    expect(() => at('soon')).to.throw(/unreadable event time "soon"/)
  })
})
