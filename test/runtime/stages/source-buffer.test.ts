/**
 * The source stage's bounded buffer on its own, with a deliverer the test holds back (a broker that does not answer)
 * and then releases: emit waits when the buffer is full (block), or the oldest records go and are counted
 * (drop-oldest); queued batches go out in order, several at once with the last checkpoint; close() waits for the
 * drain but not beyond the force signal. Kafka itself is exercised by test/e2e/broker-outage.e2e.test.ts.
 */
import {expect} from 'chai'
import {Counters} from '../../../src/runtime/counters.js'
import {createLogger} from '../../../src/runtime/logger.js'
import type {BusMessage} from '../../../src/runtime/kafka/message-bus.js'
import {SourceBuffer, type Deliverer} from '../../../src/runtime/stages/source-buffer.js'
import type {Pack} from '../../../src/runtime/stages/source-delivery.js'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const messages = (...values: string[]): BusMessage[] => values.map((value) => ({key: 'k', value}))

/** Delivers only while open; records every pack it delivered. */
function gate() {
  const delivered: Pack[] = []
  let open = false
  let release: (() => void) | undefined
  const deliverer: Deliverer = {
    async deliver(pack) {
      while (!open) await new Promise<void>((resolve) => (release = resolve))
      delivered.push(pack)
      return new Map([[0, BigInt(delivered.flatMap((p) => p.messages).length)]])
    },
  }
  return {
    deliverer,
    delivered,
    open() {
      open = true
      release?.()
    },
  }
}

describe('source buffer', () => {
  const logs: string[] = []
  const logger = createLogger('test', {write: (line) => logs.push(line), level: 'debug'})
  const blockingBuffer = (maxRecords: number, delivery: Deliverer) =>
    new SourceBuffer({
      settings: {maxRecords, whenFull: 'block'},
      delivery,
      logger,
      counters: new Counters(),
      scope: 'source t',
      onFatal: () => {},
    })
  beforeEach(() => (logs.length = 0))

  it('block: emit waits while the buffer is full, goes on when delivery resumes; order, checkpoints kept', async () => {
    const broker = gate()
    const counters = new Counters()
    const buffer = new SourceBuffer({
      settings: {maxRecords: 4, whenFull: 'block'},
      delivery: broker.deliverer,
      logger,
      counters,
      scope: 'source t',
      onFatal: () => {},
    })
    await buffer.push(messages('a', 'b'), {value: 1})
    await buffer.push(messages('c', 'd'), {value: 2})
    let thirdQueued = false
    const third = buffer.push(messages('e'), {value: 3}).then(() => (thirdQueued = true))
    await pause(50)
    expect(thirdQueued, 'the fifth record waits: the buffer holds 4').to.equal(false)
    expect(buffer.size).to.equal(4)
    broker.open()
    await third
    await buffer.close(new AbortController().signal)
    const all = broker.delivered.flatMap((p) => p.messages.map((m) => m.value))
    expect(all).to.deep.equal(['a', 'b', 'c', 'd', 'e'])
    expect(broker.delivered[broker.delivered.length - 1].checkpoint).to.deep.equal({value: 3})
    expect(counters.get('source t', 'produced')).to.equal(5)
    expect(counters.get('source t', 'buffer_peak')).to.equal(4)
    expect(counters.get('source t', 'dropped')).to.equal(0)
  })

  it('a push that waited for space while the whole queue was in flight is still delivered', async () => {
    const broker = gate()
    const buffer = blockingBuffer(2, broker.deliverer)
    await buffer.push(messages('a', 'b'), {value: 1})
    await new Promise((resolve) => setImmediate(resolve))
    // The buffer is full and its one pack is in flight: this push waits, and queues once that pack is delivered,
    // just as the drain finds the queue empty and ends.
    const third = buffer.push(messages('c'), {value: 2})
    broker.open()
    await third
    const forced = new AbortController()
    const timer = setTimeout(() => forced.abort(), 2000)
    await buffer.close(forced.signal).finally(() => clearTimeout(timer))
    expect(broker.delivered.flatMap((p) => p.messages.map((m) => m.value))).to.deep.equal(['a', 'b', 'c'])
  })

  it('batches pushed in one turn of the event loop (a burst of frames) go out as one delivery', async () => {
    const broker = gate()
    broker.open()
    const buffer = blockingBuffer(100, broker.deliverer)
    // As a socket's message handlers do: each awaits its push, all within the same turn (microtasks only).
    let chain = Promise.resolve()
    for (const [i, value] of ['a', 'b', 'c'].entries())
      chain = chain.then(() => buffer.push(messages(value), {value: i}))
    await chain
    await buffer.close(new AbortController().signal)
    expect(broker.delivered.map((p) => p.messages.map((m) => m.value))).to.deep.equal([['a', 'b', 'c']])
    expect(broker.delivered[0].checkpoint).to.deep.equal({value: 2})
  })

  it('drop-oldest: never waits; drops oldest queued records, counts them, logs once, keeps the newest', async () => {
    const broker = gate()
    const counters = new Counters()
    const buffer = new SourceBuffer({
      settings: {maxRecords: 3, whenFull: 'drop-oldest'},
      delivery: broker.deliverer,
      logger,
      counters,
      scope: 'source t',
      onFatal: () => {},
    })
    // The first batch is taken for delivery after one turn of the event loop (then it is in flight, never dropped);
    // the rest queue behind it.
    await buffer.push(messages('a'), {value: 1})
    await new Promise((resolve) => setImmediate(resolve))
    for (const [i, value] of ['b', 'c', 'd', 'e', 'f'].entries()) await buffer.push(messages(value), {value: i + 2})
    expect(buffer.size).to.equal(3)
    broker.open()
    await buffer.close(new AbortController().signal)
    const all = broker.delivered.flatMap((p) => p.messages.map((m) => m.value))
    expect(all).to.deep.equal(['a', 'e', 'f'])
    expect(counters.get('source t', 'dropped')).to.equal(3)
    expect(logs.filter((line) => line.includes('dropping the oldest records'))).to.have.length(1)
    expect(broker.delivered[broker.delivered.length - 1].checkpoint).to.deep.equal({value: 6})
  })

  it('close() gives up when forced, counting what was never delivered', async () => {
    const broker = gate()
    const counters = new Counters()
    const buffer = new SourceBuffer({
      settings: {maxRecords: 10, whenFull: 'block'},
      delivery: broker.deliverer,
      logger,
      counters,
      scope: 'source t',
      onFatal: () => {},
    })
    await buffer.push(messages('a', 'b'))
    const force = new AbortController()
    const closed = buffer.close(force.signal)
    await pause(20)
    force.abort()
    await closed
    expect(counters.get('source t', 'undelivered')).to.equal(2)
    expect(logs.some((line) => line.includes('2 record(s) still buffered'))).to.equal(true)
    broker.open() // the delivery that was still trying ends (the stage disconnects its producer for that)
  })
})
