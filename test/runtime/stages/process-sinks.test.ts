/** ProcessSinks: which sink gets which records, and how a sink's failure is reported. */
import {expect} from 'chai'
import {Counters} from '../../../src/runtime/counters.js'
import type {EtlError} from '../../../src/runtime/errors.js'
import {createLogger} from '../../../src/runtime/logger.js'
import type {EtlRecord, SinkInstance, SinkOrigin} from '../../../src/runtime/plugin-types.js'
import type {Running} from '../../../src/runtime/stages/partition-chains.js'
import {ProcessSinks} from '../../../src/runtime/stages/process-sinks.js'
import {SinkPositions} from '../../../src/runtime/stages/sink-positions.js'
import {RecordingBus, stageOf} from './recording-bus.js'

class Sink implements SinkInstance {
  writes: {records: EtlRecord[]; origin?: SinkOrigin}[] = []
  flushes = 0
  closed = false
  fail: 'write' | 'flush' | 'close' | undefined
  constructor(private readonly recorded?: Map<number, bigint>) {}
  async write(records: EtlRecord[], origin?: SinkOrigin) {
    if (this.fail === 'write') throw new Error('disk full')
    this.writes.push({records, origin})
  }
  async flush() {
    if (this.fail === 'flush') throw new Error('fsync failed')
    this.flushes += 1
  }
  async close() {
    if (this.fail === 'close') throw new Error('already closed')
    this.closed = true
  }
  positions() {
    return this.recorded
  }
}

async function setup(sinks: {label: string; instance: Sink; where?: (r: EtlRecord) => boolean}[]) {
  const running: Running<SinkInstance>[] = sinks.map(({label, instance, where}) => ({
    stage: stageOf('sink', label, 'test-sink', where ? {where} : {}),
    instance,
  }))
  const counters = new Counters()
  const lines: string[] = []
  const logger = createLogger('test', {write: (line) => lines.push(line)})
  const recording = new RecordingBus()
  recording.endOffsets = async () => new Map([[0, 100n]])
  const positions = await SinkPositions.read({sinks: running, bus: recording.bus, topic: 't', logger, counters})
  const written: EtlRecord[][] = []
  const processSinks = new ProcessSinks(running, positions, {counters, logger, onWritten: (r) => written.push(r)})
  return {processSinks, counters, lines, written}
}

async function rejectionOf(promise: Promise<unknown>): Promise<EtlError> {
  try {
    await promise
  } catch (error) {
    return error as EtlError
  }
  throw new Error('expected a rejection')
}

describe('ProcessSinks', () => {
  it('gives each sink the records its where: routes to it, counts them, and reports what was written', async () => {
    const all = new Sink()
    const big = new Sink()
    const {processSinks, counters, written} = await setup([
      {label: 'all', instance: all},
      {label: 'big', instance: big, where: (r) => Number(r.n) > 1},
    ])
    await processSinks.write([{n: 1}, {n: 2}])
    expect(all.writes.map((w) => w.records)).to.deep.equal([[{n: 1}, {n: 2}]])
    expect(big.writes.map((w) => w.records)).to.deep.equal([[{n: 2}]])
    expect(counters.get('sink all', 'written')).to.equal(2)
    expect(counters.get('sink big', 'written')).to.equal(1)
    expect(written).to.deep.equal([[{n: 1}, {n: 2}]])
  })

  it('does not call a sink without positions when nothing is routed to it', async () => {
    const none = new Sink()
    const {processSinks} = await setup([{label: 'none', instance: none, where: () => false}])
    await processSinks.write([{n: 1}], {partition: 0, nextOffset: 1n})
    expect(none.writes).to.deep.equal([])
  })

  it('tells a sink with positions of every input, and skips what it already holds', async () => {
    const exact = new Sink(new Map([[0, 10n]]))
    const {processSinks, counters} = await setup([{label: 'exact', instance: exact, where: () => false}])
    await processSinks.write([{n: 1}], {partition: 0, nextOffset: 10n})
    expect(exact.writes).to.deep.equal([])
    expect(counters.get('sink exact', 'skipped_already_written')).to.equal(0)
    await processSinks.write([{n: 2}], {partition: 0, nextOffset: 11n})
    expect(exact.writes).to.deep.equal([{records: [], origin: {partition: 0, nextOffset: 11n}}])
  })

  it('fails a write as ETL_PLUGIN_FAILED naming the sink', async () => {
    const sink = new Sink()
    sink.fail = 'write'
    const {processSinks, written} = await setup([{label: 'out', instance: sink}])
    const error = await rejectionOf(processSinks.write([{n: 1}]))
    expect(error.code).to.equal('ETL_PLUGIN_FAILED')
    expect(error.message).to.equal('sink plugin "test-sink" failed in write (stage process): disk full')
    expect(written).to.deep.equal([])
  })

  it('fails a flush as ETL_PLUGIN_FAILED naming the sink and flush', async () => {
    const first = new Sink()
    first.fail = 'flush'
    const second = new Sink()
    const {processSinks} = await setup([
      {label: 'a', instance: first},
      {label: 'b', instance: second},
    ])
    const error = await rejectionOf(processSinks.flush())
    expect(error.message).to.equal('sink plugin "test-sink" failed in flush (stage process): fsync failed')
    expect(second.flushes).to.equal(0)
  })

  it('logs a sink that fails to close and still closes the others', async () => {
    const first = new Sink()
    first.fail = 'close'
    const second = new Sink()
    const {processSinks, lines} = await setup([
      {label: 'a', instance: first},
      {label: 'b', instance: second},
    ])
    await processSinks.close()
    expect(second.closed).to.equal(true)
    expect(
      lines.some((l) => l.includes('sink plugin "test-sink" failed in close (stage process): already closed')),
    ).to.equal(true)
  })
})
