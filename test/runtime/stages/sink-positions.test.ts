/** SinkPositions: what each sink says it holds, read at start and again after a rebalance, and what is skipped. */
import {expect} from 'chai'
import {Counters} from '../../../src/runtime/counters.js'
import {createLogger} from '../../../src/runtime/logger.js'
import type {EtlRecord, SinkInstance} from '../../../src/runtime/plugin-types.js'
import type {ConsumedMessage} from '../../../src/runtime/kafka/message-bus.js'
import type {Running} from '../../../src/runtime/stages/partition-chains.js'
import {SinkPositions} from '../../../src/runtime/stages/sink-positions.js'
import {RecordingBus, stageOf} from './recording-bus.js'

/** A sink whose reported positions the test changes between calls, as another worker writing its table would. */
class ReportingSink implements SinkInstance {
  asked = 0
  constructor(public reported: Map<number, bigint> | undefined) {}
  async write(_records: EtlRecord[]) {}
  async flush() {}
  async close() {}
  positions() {
    this.asked += 1
    return this.reported && new Map(this.reported)
  }
}

async function positionsOf(sinks: ReportingSink[], end = 1000n) {
  const running: Running<SinkInstance>[] = sinks.map((instance, index) => ({
    stage: stageOf('sink', `s${index}`),
    instance,
  }))
  const recording = new RecordingBus()
  recording.endOffsets = async () =>
    new Map([
      [0, end],
      [1, end],
    ])
  const lines: string[] = []
  const logger = createLogger('test', {write: (line) => lines.push(line)})
  const counters = new Counters()
  const positions = await SinkPositions.read({sinks: running, bus: recording.bus, topic: 't', logger, counters})
  return {positions, lines, counters}
}

const messages = (from: number, to: number): ConsumedMessage[] =>
  Array.from({length: to - from}, (_, i) => ({offset: String(from + i)}) as ConsumedMessage)

describe('SinkPositions', () => {
  it('treats a sink without positions as at-least-once and one with positions as exactly-once', async () => {
    const {positions} = await positionsOf([new ReportingSink(undefined), new ReportingSink(new Map())])
    expect(positions.isExactlyOnce(0)).to.equal(false)
    expect(positions.isExactlyOnce(1)).to.equal(true)
  })

  it('cuts a redelivered batch at a position inside it and skips what the sink already holds', async () => {
    const {positions, counters, lines} = await positionsOf([new ReportingSink(new Map([[0, 15n]]))])
    const segments = positions.segmentsOf(0, messages(10, 20), 20n)
    expect(segments.map((s) => [s.messages.length, s.nextOffset])).to.deep.equal([
      [5, 15n],
      [5, 20n],
    ])
    expect(positions.alreadyWritten(0, {partition: 0, nextOffset: 15n}, 3)).to.equal(true)
    expect(positions.alreadyWritten(0, {partition: 0, nextOffset: 20n}, 3)).to.equal(false)
    expect(counters.get('sink s0', 'skipped_already_written')).to.equal(3)
    expect(lines.join('\n')).to.include('partition 0: skipping 3 record(s) already written before the restart')
  })

  it('ignores a position past the end of the topic (the topic was recreated), with a warning', async () => {
    const {positions, lines} = await positionsOf([new ReportingSink(new Map([[0, 5000n]]))], 100n)
    expect(positions.alreadyWritten(0, {partition: 0, nextOffset: 50n}, 1)).to.equal(false)
    expect(lines.join('\n')).to.include('is past the end of t (100)')
  })

  it('asks again on reload: a position another worker advanced wins, one behind what is known does not', async () => {
    const sink = new ReportingSink(new Map([[0, 10n]]))
    const atLeastOnce = new ReportingSink(undefined)
    const {positions} = await positionsOf([sink, atLeastOnce])
    expect(sink.asked).to.equal(1)
    positions.flushed(0, 40n)
    // Another worker wrote partition 1 while it was its own, and reports partition 0 behind this process's flush.
    sink.reported = new Map([
      [0, 30n],
      [1, 70n],
    ])
    atLeastOnce.reported = new Map([[0, 500n]])
    await positions.reload()
    expect(sink.asked).to.equal(2)
    expect(positions.alreadyWritten(0, {partition: 0, nextOffset: 40n}, 1), 'own flush kept').to.equal(true)
    expect(positions.alreadyWritten(0, {partition: 0, nextOffset: 41n}, 1)).to.equal(false)
    expect(positions.alreadyWritten(0, {partition: 1, nextOffset: 70n}, 1), 'the other worker').to.equal(true)
    // A sink that was at-least-once at start stays so: it is not asked, and nothing of it is skipped.
    expect(atLeastOnce.asked).to.equal(1)
    expect(positions.alreadyWritten(1, {partition: 0, nextOffset: 1n}, 1)).to.equal(false)
  })
})
