import {expect} from 'chai'
import {latestStart, openWindowStarts, resolveWindowSpec} from '../../../../src/plugins/shared/windowing/window-spec.js'
import {DAY, MINUTE} from './window-test-kit.js'

describe('window assignment', () => {
  const tumbling = {size: MINUTE, slide: MINUTE, lateness: 0}
  const sliding = {size: 3 * DAY, slide: DAY, lateness: 0}

  it('aligns tumbling windows to the epoch, start inclusive and end exclusive', () => {
    expect(openWindowStarts(0, tumbling, -Infinity)).to.deep.equal([0])
    expect(openWindowStarts(MINUTE - 1, tumbling, -Infinity)).to.deep.equal([0])
    expect(openWindowStarts(MINUTE, tumbling, -Infinity)).to.deep.equal([MINUTE])
    expect(openWindowStarts(Date.parse('2024-05-01T10:07:59.999Z'), tumbling, -Infinity)).to.deep.equal([
      Date.parse('2024-05-01T10:07:00Z'),
    ])
  })

  it('floors times before the epoch into the window that holds them', () => {
    expect(latestStart(-1, tumbling)).to.equal(-MINUTE)
    expect(openWindowStarts(-MINUTE, tumbling, -Infinity)).to.deep.equal([-MINUTE])
  })

  it('puts a record in every sliding window that holds it, latest first', () => {
    const t = 10 * DAY + 5
    expect(openWindowStarts(t, sliding, -Infinity)).to.deep.equal([10 * DAY, 9 * DAY, 8 * DAY])
    expect(openWindowStarts(10 * DAY, sliding, -Infinity)).to.deep.equal([10 * DAY, 9 * DAY, 8 * DAY])
    // size not a multiple of slide: 2.5 days every day → 2 or 3 windows
    const odd = {size: 2.5 * DAY, slide: DAY, lateness: 0}
    expect(openWindowStarts(10 * DAY, odd, -Infinity)).to.deep.equal([10 * DAY, 9 * DAY, 8 * DAY])
    expect(openWindowStarts(10.6 * DAY, odd, -Infinity)).to.deep.equal([10 * DAY, 9 * DAY])
  })

  it('leaves out windows that end at or before the watermark', () => {
    expect(openWindowStarts(10 * DAY, sliding, 11 * DAY)).to.deep.equal([10 * DAY, 9 * DAY])
    expect(openWindowStarts(10 * DAY, sliding, 12 * DAY - 1)).to.deep.equal([10 * DAY, 9 * DAY])
    expect(openWindowStarts(10 * DAY, sliding, 12 * DAY)).to.deep.equal([10 * DAY])
    expect(openWindowStarts(10 * DAY, sliding, 13 * DAY)).to.deep.equal([])
  })
})

describe('resolveWindowSpec', () => {
  const messages = (shape: Parameters<typeof resolveWindowSpec>[0]) =>
    resolveWindowSpec(shape).issues.map((i) => `${i.path.join('.')}: ${i.message}`)

  it('turns durations into milliseconds, slide defaulting to size', () => {
    expect(resolveWindowSpec({window: 'tumbling', size: '7d', lateness: '10s'})).to.deep.equal({
      spec: {size: 7 * DAY, slide: 7 * DAY, lateness: 10_000},
      issues: [],
    })
    expect(resolveWindowSpec({window: 'sliding', size: '3d', slide: '1d', lateness: 0}).spec).to.deep.equal({
      size: 3 * DAY,
      slide: DAY,
      lateness: 0,
    })
    expect(resolveWindowSpec({window: 'tumbling', size: '1m', slide: 60, lateness: 0}).spec).to.deep.equal({
      size: MINUTE,
      slide: MINUTE,
      lateness: 0,
    })
  })

  it('explains every invalid combination', () => {
    expect(messages({window: 'sliding', size: '1h', lateness: 0})).to.deep.equal([
      'slide: sliding windows need slide: how far apart window starts are, e.g. 1m',
    ])
    expect(messages({window: 'sliding', size: '1h', slide: '2h', lateness: 0})[0]).to.match(
      /^slide: slide \(7200000 ms\) must not exceed size \(3600000 ms\)/,
    )
    expect(messages({window: 'sliding', size: '1h', slide: 0, lateness: 0})).to.deep.equal([
      'slide: slide must be longer than 0 ms',
    ])
    expect(messages({window: 'tumbling', size: '1h', slide: '30m', lateness: 0})[0]).to.match(
      /^slide: tumbling windows have slide = size/,
    )
    expect(messages({window: 'tumbling', size: 0, lateness: 0})).to.deep.equal(['size: size must be longer than 0 ms'])
    expect(messages({window: 'sliding', size: '1d', slide: '1m', lateness: 0})).to.deep.equal([
      'slide: size / slide must be at most 1000: each record would join 1440 windows',
    ])
    expect(messages({window: 'sliding', size: '1000s', slide: '1s', lateness: 0})).to.deep.equal([])
    expect(messages({window: 'tumbling', size: '1x' as never, lateness: 0})[0]).to.match(/^size: invalid duration "1x"/)
  })
})
