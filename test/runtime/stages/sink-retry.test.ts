/** The sink wrapper on its own: what it retries, what it forwards untouched, how it fails. (End to end: run-retry.) */
import {expect} from 'chai'
import type {StageConfig} from '../../../src/runtime/config/load-pipeline.js'
import {Counters} from '../../../src/runtime/counters.js'
import type {EtlError} from '../../../src/runtime/errors.js'
import {pendingWork} from '../../../src/runtime/lifecycle.js'
import {createLogger} from '../../../src/runtime/logger.js'
import {definePlugin, type EtlRecord, type SinkInstance} from '../../../src/runtime/plugin-types.js'
import {retryingSink} from '../../../src/runtime/stages/sink-retry.js'

/** A sink using the optional parts of the contract (origin, positions) and a member of its own. */
class RecordingSink implements SinkInstance {
  calls: {method: string; args: unknown[]}[] = []
  failures = 0
  readonly note = 'own property'
  async write(records: EtlRecord[], origin?: unknown) {
    this.calls.push({method: 'write', args: [records, origin]})
    if (this.failures > 0) {
      this.failures -= 1
      throw new Error('file locked')
    }
  }
  async flush() {
    this.calls.push({method: 'flush', args: []})
  }
  async close() {
    this.calls.push({method: 'close', args: []})
  }
  positions(topic: string) {
    this.calls.push({method: 'positions', args: [topic]})
    // Reads the instance: only works when called with `this` bound to it.
    return new Map([[0, BigInt(this.calls.length)]])
  }
}

const definition = definePlugin<'sink', unknown>({
  name: 'recording',
  kind: 'sink',
  summary: 'test',
  configSchema: {type: 'object', properties: {}},
  create: () => new RecordingSink(),
})

function stage(maxAttempts: number): StageConfig {
  return {
    kind: 'sink',
    type: 'recording',
    label: 'rec',
    definition,
    config: {},
    path: ['sinks', 0],
    retry: {maxAttempts, initialDelayMs: 1, maxDelayMs: 2},
  }
}

describe('retryingSink', () => {
  const lines: string[] = []
  const inputs = () => ({
    logger: createLogger('test', {write: (line) => lines.push(line)}),
    counters: new Counters(),
    signal: new AbortController().signal,
  })

  beforeEach(() => (lines.length = 0))

  it('forwards every argument to write and every other member unchanged, bound to the instance', async () => {
    const inner = new RecordingSink()
    const sink = retryingSink(stage(3), inner, inputs()) as RecordingSink
    const records = [{symbol: 'BTC'}]
    const origin = {partition: 2, offset: '7'}
    await sink.write(records, origin)
    await sink.flush()
    expect(sink.positions('prices')).to.deep.equal(new Map([[0, 3n]]))
    await sink.close()
    expect(sink.note).to.equal('own property')
    expect('positions' in sink).to.equal(true)
    expect(inner.calls).to.deep.equal([
      {method: 'write', args: [records, origin]},
      {method: 'flush', args: []},
      {method: 'positions', args: ['prices']},
      {method: 'close', args: []},
    ])
  })

  it('retries a failing write with the same arguments, warns with the attempt and counts sink_retry', async () => {
    const inner = new RecordingSink()
    inner.failures = 2
    const context = inputs()
    const sink = retryingSink(stage(3), inner, context)
    const records = [{symbol: 'ETH'}]
    await sink.write(records)
    expect(inner.calls.map((c) => c.args[0])).to.deep.equal([records, records, records])
    expect(context.counters.get('sink rec', 'sink_retry')).to.equal(2)
    const warnings = lines.filter((line) => line.includes('WARN'))
    expect(warnings).to.have.length(2)
    expect(warnings[0])
      .to.include('[test:sink:rec] write failed: file locked; retrying in')
      .and.include('attempt=1')
      .and.include('maxAttempts=3')
    expect(pendingWork()).to.deep.equal([])
  })

  it('fails with ETL_PLUGIN_FAILED naming the plugin once the attempts are used up', async () => {
    const inner = new RecordingSink()
    inner.failures = 10
    const error = (await retryingSink(stage(2), inner, inputs())
      .write([{}])
      .catch((e: unknown) => e)) as EtlError
    expect(error.code).to.equal('ETL_PLUGIN_FAILED')
    expect(error.message).to.equal(
      'sink plugin "recording" failed in write (stage process): ' +
        'write failed 2 times in a row (retry.maxAttempts 2); last error: file locked',
    )
    expect(inner.calls).to.have.length(2)
  })

  it('says while it waits to retry, for the shutdown timeout message', async () => {
    const inner = new RecordingSink()
    inner.failures = 1
    // Unlimited attempts, so the shutdown signal ends the minute-long wait once the test has looked.
    const slow = {...stage(0), retry: {maxAttempts: 0, initialDelayMs: 60_000, maxDelayMs: 60_000}}
    const controller = new AbortController()
    const writing = retryingSink(slow, inner, {...inputs(), signal: controller.signal}).write([{}])
    while (!lines.some((line) => line.includes('retrying in'))) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(pendingWork()).to.deep.equal(['sink rec: write failed (file locked); attempt 2 due in 1m'])
    controller.abort()
    const error = (await writing.catch((e: unknown) => e)) as EtlError
    expect(error.message).to.include('not retrying while shutting down')
    expect(pendingWork()).to.deep.equal([])
  })

  it('shows what it is doing while a call is in flight, for the shutdown timeout message', async () => {
    let release!: () => void
    const inner = new RecordingSink()
    inner.flush = () => new Promise<void>((resolve) => (release = resolve))
    const flushing = retryingSink(stage(3), inner, inputs()).flush()
    expect(pendingWork()).to.deep.equal(['sink rec: flush'])
    release()
    await flushing
    expect(pendingWork()).to.deep.equal([])
  })
})
