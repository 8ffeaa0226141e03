/**
 * The transactional producer of the bus against the real broker: records and a checkpoint become visible together;
 * records of a transaction that was aborted (explicitly, or because its process died and a successor fenced it) never
 * reach a read_committed consumer; a fenced producer fails with ETL_SOURCE_FENCED instead of retrying; the offsets a
 * send reports are those of its records (not of the commit marker after them); readLatest ends on a topic that ends
 * in a marker or an aborted transaction.
 */
import {expect} from 'chai'
import {createKafkajsBus} from '../../../../src/runtime/kafka/kafkajs/bus.js'
import type {MessageBus} from '../../../../src/runtime/kafka/message-bus.js'
import {createLogger} from '../../../../src/runtime/logger.js'
import {
  createTopic,
  partitionSizes,
  readTopic,
  rawTransaction,
  testBrokers,
  uniqueName,
} from '../../../support/kafka-test-utils.js'

/**
 * Partition 0's size once it reached `expected` (or whatever it is after 10 s): the transaction coordinator writes an
 * abort marker after EndTxn has returned, so the size is read until the marker is there rather than once.
 */
async function settledSize(topic: string, expected: number): Promise<number | undefined> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const size = (await partitionSizes(topic)).get(0)
    if (size === expected || Date.now() > deadline) return size
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('transactional producer through the real broker', function () {
  this.timeout(90_000)
  const logs: string[] = []
  const logger = createLogger('test', {write: (line) => logs.push(line), level: 'debug'})
  let bus: MessageBus

  beforeEach(() => {
    logs.length = 0
    bus = createKafkajsBus({brokers: testBrokers(), clientId: uniqueName('it-txn'), logger})
  })
  afterEach(() => bus.close())

  const commitTitle =
    "commits records and a checkpoint together, and reports the offset after each partition's last record"
  it(commitTitle, async () => {
    const [topic, state] = [uniqueName('it-txn-data'), uniqueName('it-txn-state')]
    await createTopic(topic, 3)
    await createTopic(state, 1)
    const producer = await bus.createTransactionalProducer(uniqueName('etl-source-it'))
    try {
      const messages = ['BTC', 'ETH', 'SOL', 'BTC', 'ETH', 'BTC'].map((key, i) => ({
        key,
        value: JSON.stringify({key, i}),
      }))
      const first = await producer.sendAtomically([
        {topic, messages},
        {topic: state, messages: [{key: 'src', value: '{"n":1}'}]},
      ])
      const second = await producer.sendAtomically([{topic, messages: messages.slice(0, 2)}], (written) => [
        // What `then` returns joins the same transaction, knowing where its records went.
        {
          topic: state,
          messages: [
            {
              key: 'src',
              value: JSON.stringify({
                n: 2,
                ends: Object.fromEntries([...written.get(topic)!].map(([p, o]) => [p, String(o)])),
              }),
            },
          ],
        },
      ])
      const onTopic = await readTopic(topic, 8)
      expect(onTopic.map((m) => m.value).sort()).to.deep.equal(
        [...messages, ...messages.slice(0, 2)].map((m) => m.value).sort(),
      )
      // Per partition: the offset right after the last record of each send (each transaction adds one marker).
      for (const [partition, next] of second.get(topic)!) {
        const last = onTopic
          .filter((m) => m.partition === partition)
          .map((m) => BigInt(m.offset))
          .reduce((a, b) => (a > b ? a : b))
        expect(next, `partition ${partition}`).to.equal(last + 1n)
      }
      for (const [partition, next] of first.get(topic)!) {
        const records = onTopic.filter((m) => m.partition === partition).length
        expect(Number(next), `partition ${partition} after the first transaction`).to.be.lessThanOrEqual(records)
      }
      // The topic's end offset is past the last record: a commit marker sits there.
      const sizes = await partitionSizes(topic)
      for (const [partition, next] of second.get(topic)!) expect(BigInt(sizes.get(partition)!)).to.equal(next + 1n)
      const latest = await bus.readLatest(state)
      expect(JSON.parse(latest.get('src')!.toString())).to.deep.equal({
        n: 2,
        ends: Object.fromEntries([...second.get(topic)!].map(([p, o]) => [String(p), String(o)])),
      })
    } finally {
      await producer.disconnect()
    }
  })

  const abortTitle =
    'records of an aborted or abandoned transaction never reach a read_committed consumer; readLatest ' + 'still ends'
  it(abortTitle, async () => {
    const topic = uniqueName('it-txn-abort')
    await createTopic(topic, 1)
    const id = uniqueName('etl-source-it')
    await rawTransaction(id, topic, ['ghost-1', 'ghost-2'], 'die') // a process killed mid-transaction
    // A successor with the same id fences the dead one; Kafka aborts its open transaction.
    const producer = await bus.createTransactionalProducer(id)
    await producer.sendAtomically([{topic, messages: [{key: 'k', value: 'real-1'}]}])
    await producer.disconnect()
    await rawTransaction(uniqueName('etl-other'), topic, ['aborted-1'], 'abort') // the topic now ends in an aborted one
    const latest = await bus.readLatest(topic)
    expect(latest.get('k')?.toString()).to.equal('real-1')
    const read = await readTopic(topic, 1)
    expect(read.map((m) => m.value)).to.deep.equal(['real-1'])
    // ghost ×2, abort marker, real-1, commit marker, aborted-1, abort marker: 7 offsets for 1 visible record.
    expect(await settledSize(topic, 7)).to.equal(7)

    // A topic holding nothing but an aborted transaction: kafkajs never hands such a fetch to eachBatch.
    const onlyAborted = uniqueName('it-txn-only-aborted')
    await createTopic(onlyAborted, 1)
    await rawTransaction(uniqueName('etl-other'), onlyAborted, ['aborted'], 'abort')
    expect(await settledSize(onlyAborted, 2)).to.equal(2)
    expect((await bus.readLatest(onlyAborted)).size).to.equal(0)
  })

  it('a fenced producer fails with ETL_SOURCE_FENCED, naming the transactional id, and writes nothing', async () => {
    const topic = uniqueName('it-txn-fenced')
    await createTopic(topic, 1)
    const id = uniqueName('etl-source-it')
    const older = await bus.createTransactionalProducer(id)
    const newer = await bus.createTransactionalProducer(id)
    try {
      const error = await older.sendAtomically([{topic, messages: [{key: 'k', value: 'from-the-older'}]}]).then(
        () => undefined,
        (e: unknown) => e as {code?: string; message: string},
      )
      expect(error?.code).to.equal('ETL_SOURCE_FENCED')
      expect(error?.message).to.include(id)
      await newer.sendAtomically([{topic, messages: [{key: 'k', value: 'from-the-newer'}]}])
      expect((await readTopic(topic, 1)).map((m) => m.value)).to.deep.equal(['from-the-newer'])
      expect((await bus.readLatest(topic)).get('k')?.toString()).to.equal('from-the-newer')
    } finally {
      await older.disconnect().catch(() => undefined)
      await newer.disconnect()
    }
  })
})
