import {expect} from 'chai'
import {Counters} from '../../../src/runtime/counters.js'
import {EventLatency} from '../../../src/runtime/stages/event-latency.js'

const NOW = Date.parse('2026-12-02T12:00:10.000Z')

function observed(): {counters: Counters; timed: [string, string, number[]][]} {
  const counters = new Counters()
  const timed: [string, string, number[]][] = []
  counters.observe({counted: () => undefined, timedEach: (scope, event, s) => void timed.push([scope, event, [...s]])})
  return {counters, timed}
}

describe('EventLatency (etl_event_latency_seconds)', () => {
  it('times each record from the first event-time field it has, ISO or epoch ms', () => {
    const {counters, timed} = observed()
    const latency = new EventLatency(['timestamp', 'window_end'], counters, () => NOW)
    latency.written('sink csv', [
      {timestamp: '2026-12-02T12:00:09.500Z', window_end: '2026-12-02T11:00:00.000Z'},
      {window_end: NOW - 2000},
      {timestamp: NOW - 250},
    ])
    expect(timed).to.deep.equal([['sink csv', 'event_latency', [0.5, 2, 0.25]]])
  })

  it('skips records without the fields or whose field is no time, and clamps clocks ahead of the host to 0', () => {
    const {counters, timed} = observed()
    const latency = new EventLatency(['timestamp'], counters, () => NOW)
    latency.written('sink pg', [{price: 1}, {timestamp: 'soon'}, {timestamp: NOW + 5000}])
    expect(timed).to.deep.equal([['sink pg', 'event_latency', [0]]])
    latency.written('sink pg', [{price: 2}])
    expect(timed).to.have.length(1)
  })

  it('measures nothing without fields or without an observer', () => {
    const {counters, timed} = observed()
    new EventLatency([], counters, () => NOW).written('sink csv', [{timestamp: NOW}])
    expect(timed).to.deep.equal([])
    let calls = 0
    const unobserved = new EventLatency(['timestamp'], new Counters(), () => ++calls)
    unobserved.written('sink csv', [{timestamp: NOW}])
    expect(calls, 'the clock is not even read').to.equal(0)
  })
})
