/**
 * The transport of `source.worker: true` with the real broker, run from the .ts sources (the worker loads its .ts
 * entry under tsx): runSourceStageInWorker returns the drain target and merges the thread's counts into the caller's
 * counters; an error crosses the thread boundary with its class, code, exitCode, details and cause intact.
 */
import {expect} from 'chai'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {MessageChannel, receiveMessageOnPort} from 'node:worker_threads'
import {loadPipeline} from '../../../src/index.js'
import {Counters} from '../../../src/runtime/counters.js'
import {EtlError, isEtlError, pluginFailure} from '../../../src/runtime/errors.js'
import {createKafkajsBus} from '../../../src/runtime/kafka/kafkajs/bus.js'
import {createLogger} from '../../../src/runtime/logger.js'
import {runSourceStageInWorker} from '../../../src/runtime/stages/source-worker.js'
import {fromWire, toWire} from '../../../src/runtime/stages/source-worker-wire.js'
import {testBrokers, uniqueName} from '../../support/kafka-test-utils.js'

const HISTORY = resolve(import.meta.dirname, '../../../data/btcusd-1d-2011-2025.csv')

/** Sends a value through a real MessagePort, as postMessage does between threads (structured clone). */
function throughPort<T>(value: T): T {
  const {port1, port2} = new MessageChannel()
  port1.postMessage(value)
  const received = receiveMessageOnPort(port2)?.message as T
  port1.close()
  return received
}

describe('source stage in a worker thread (real Kafka)', function () {
  this.timeout(120_000)

  it("returns the drain target and merges the thread's counts into the caller's counters", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-source-worker-'))
    const topic = uniqueName('etl-source-worker')
    writeFileSync(join(dir, 'rows.csv'), readFileSync(HISTORY, 'utf8').split('\n').slice(0, 31).join('\n') + '\n')
    const file = join(dir, 'pipeline.yaml')
    writeFileSync(
      file,
      [
        `name: ${uniqueName('worker-it')}`,
        'kafka:',
        `  topic: ${topic}`,
        '  partitions: 1',
        `source: {type: replay, path: ${join(dir, 'rows.csv')}, speed: 0, limit: 25, worker: true}`,
        'sinks: [{type: stdout}]',
      ].join('\n') + '\n',
    )
    const pipeline = await loadPipeline(file)
    expect(pipeline.sources[0]?.worker).to.equal(true)
    expect(pipeline.sources[0]?.config).to.not.have.property('worker') // the runtime's key, not the plugin's
    const logger = createLogger('test', {level: 'warn'})
    const bus = createKafkajsBus({brokers: testBrokers(), clientId: 'etl-test', logger})
    try {
      await bus.ensureTopic({topic, partitions: 1, replicationFactor: 1})
      const counters = new Counters()
      counters.add('process', 'consumed', 7) // counts already there are added to, not replaced
      const inputs = {
        pipeline,
        bus,
        logger,
        counters,
        stateRoot: join(dir, '.etl'),
        signal: new AbortController().signal,
      }
      const {drainTarget} = await runSourceStageInWorker(inputs, testBrokers())
      expect(counters.get('source replay', 'produced')).to.equal(25)
      expect(counters.get('process', 'consumed')).to.equal(7)
      // The offset right after the 25th record: the transaction's commit marker, which no consumer receives,
      // follows it.
      expect(drainTarget.get(0)).to.equal(25n)
      // (The broker writes the marker just after the commit returns: wait for the committed end to reach it.)
      let end = 0n
      for (let tries = 0; tries < 100 && end < 26n; tries++) {
        end = (await bus.endOffsets(topic)).get(0) ?? 0n
        if (end < 26n) await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(end).to.equal(26n)
    } finally {
      await bus.close()
    }
  })

  it('an EtlError keeps its class, code, message, exitCode, details and cause across the thread boundary', () => {
    const inner = new EtlError('ETL_CONFIG_READ', 'cannot read rows.csv', {exitCode: 2, details: {path: 'rows.csv'}})
    const sent = pluginFailure({name: 'replay', kind: 'source'}, 'source', 'create', inner)
    const received = fromWire(throughPort(toWire(sent)))
    expect(isEtlError(received)).to.equal(true)
    const error = received as EtlError
    expect({code: error.code, message: error.message, exitCode: error.exitCode, details: error.details}).to.deep.equal({
      code: sent.code,
      message: sent.message,
      exitCode: sent.exitCode,
      details: sent.details,
    })
    const cause = error.cause as EtlError
    expect(isEtlError(cause) && [cause.code, cause.exitCode, cause.message]).to.deep.equal([
      'ETL_CONFIG_READ',
      2,
      'cannot read rows.csv',
    ])
    expect(error.stack).to.equal(sent.stack)
  })

  it('a plain Error stays a plain Error (the CLI reports it as ETL_INTERNAL), with its message', () => {
    const received = fromWire(throughPort(toWire(new TypeError('x is not a function'))))
    expect(isEtlError(received)).to.equal(false)
    expect(received.message).to.equal('x is not a function')
  })

  it('details that cannot be cloned are left out rather than turning the failure into a clone error', () => {
    const sent = new EtlError('ETL_KAFKA', 'produce failed', {details: {retry: () => undefined}})
    const received = fromWire(throughPort(toWire(sent))) as EtlError
    expect([received.code, received.message, received.details]).to.deep.equal([
      'ETL_KAFKA',
      'produce failed',
      undefined,
    ])
  })
})
