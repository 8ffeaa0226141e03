/**
 * The MessageBus contract (src/runtime/kafka/message-bus.ts), checked against the real broker for both clients a
 * pipeline can choose (`kafka.client: kafkajs | platformatic`): the same tests, the same expectations.
 */
import {expect} from 'chai'
import {createMessageBus, KAFKA_CLIENTS, type KafkaClientName} from '../../../src/runtime/kafka/create-bus.js'
import type {ConsumedBatch, MessageBus} from '../../../src/runtime/kafka/message-bus.js'
import {createLogger} from '../../../src/runtime/logger.js'
import {freePorts} from '../../support/global-broker.js'
import {
  createTopic,
  partitionSizes,
  produceRaw,
  readTopic,
  testBrokers,
  rawTransaction,
  topicConfig,
  uniqueName,
} from '../../support/kafka-test-utils.js'

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

const logs: string[] = []
const logger = createLogger('test', {write: (line) => logs.push(line), level: 'debug'})
const busFor = (client: KafkaClientName) =>
  createMessageBus(client, {brokers: testBrokers(), clientId: uniqueName(`it-${client}`), logger})

for (const client of KAFKA_CLIENTS) {
  describe(`MessageBus contract: ${client}`, function () {
    this.timeout(120_000)
    let bus: MessageBus

    beforeEach(async () => {
      logs.length = 0
      bus = await busFor(client)
    })
    afterEach(() => bus.close())

    it('checkConnection fails fast with ETL_KAFKA_UNREACHABLE and the hint when nothing listens', async () => {
      const [port] = await freePorts(1)
      const dead = await createMessageBus(client, {brokers: [`127.0.0.1:${port}`], clientId: 'it-dead', logger})
      try {
        const error = await dead.checkConnection(3000).then(
          () => undefined,
          (e: unknown) => e as {code?: string; message: string},
        )
        expect(error?.code).to.equal('ETL_KAFKA_UNREACHABLE')
        expect(error?.message).to.include(`127.0.0.1:${port}`).and.include('etl kafka start')
      } finally {
        await dead.close()
      }
      await bus.checkConnection() // and the real broker answers
    })

    it('ensureTopic creates a topic with its configs once; endOffsets and committedOffsets (-1 for none)', async () => {
      const topic = uniqueName(`it-${client}-ensure`)
      await bus.ensureTopic({topic, partitions: 3, replicationFactor: 1, configEntries: {'cleanup.policy': 'compact'}})
      await bus.ensureTopic({topic, partitions: 5, replicationFactor: 1}) // exists: left as it is
      expect(await topicConfig(topic, 'cleanup.policy')).to.equal('compact')
      expect([...(await bus.endOffsets(topic))].sort()).to.deep.equal([
        [0, 0n],
        [1, 0n],
        [2, 0n],
      ])
      await produceRaw(topic, [
        {key: 'a', value: '1'},
        {key: 'b', value: '2'},
        {key: 'c', value: '3'},
      ])
      const sizes = await partitionSizes(topic)
      expect([...(await bus.endOffsets(topic))].sort()).to.deep.equal([...sizes].map(([p, n]) => [p, BigInt(n)]).sort())
      expect([...(await bus.committedOffsets(uniqueName('it-no-group'), topic))].sort()).to.deep.equal([
        [0, -1n],
        [1, -1n],
        [2, -1n],
      ])
    })

    it('endOffsets is the last stable offset: it stops before a transaction still open', async () => {
      const topic = uniqueName(`it-${client}-stable-end`)
      await createTopic(topic, 1)
      await rawTransaction(uniqueName('it-committed'), topic, ['1', '2'], 'commit')
      // Two records and the commit marker, which the coordinator writes just after the commit returned.
      const end = async () => (await bus.endOffsets(topic)).get(0)
      await eventually(async () => ((await end()) === 3n ? true : undefined), 'the commit marker')
      await rawTransaction(uniqueName('it-open'), topic, ['3', '4', '5'], 'die')
      expect(await bus.endOffsets(topic), 'the open transaction is past the end').to.deep.equal(new Map([[0, 3n]]))
    })

    it('send: acks=all, and per partition the offset right after the last record written', async () => {
      const topic = uniqueName(`it-${client}-send`)
      await createTopic(topic, 3)
      const producer = await bus.createProducer()
      try {
        const keys = ['BTC', 'ETH', 'SOL', 'BTC', 'ETH', 'BTC', 'ADA']
        const first = await producer.send(
          topic,
          keys.map((key, i) => ({key, value: `v${i}`, headers: {source: 'test'}})),
        )
        const second = await producer.send(topic, [
          {key: 'BTC', value: Buffer.from('v7')},
          {key: null, value: 'keyless'},
        ])
        const onTopic = await readTopic(topic, keys.length + 2)
        const perPartition = (p: number) => onTopic.filter((m) => m.partition === p).map((m) => BigInt(m.offset))
        for (const [partition, next] of first) {
          const offsets = perPartition(partition)
          expect(offsets.filter((o) => o < next).length, `records below ${next} on ${partition}`).to.be.greaterThan(0)
        }
        const ends = new Map([...first, ...second])
        for (const [partition, next] of ends)
          expect(next, `partition ${partition}`).to.equal(
            perPartition(partition).reduce((a, b) => (a > b ? a : b)) + 1n,
          )
        expect([...first.values()].reduce((a, b) => a + b, 0n)).to.equal(BigInt(keys.length))
        expect(onTopic.find((m) => m.value === 'v0')?.headers).to.deep.equal({source: 'test'})
        expect(await producer.send(topic, [])).to.deep.equal(new Map())
      } finally {
        await producer.disconnect()
      }
    })

    const atomicTitle =
      'sendAtomically: records and what `then` returns commit together; offsets are those of records, not markers'
    it(atomicTitle, async () => {
      const [topic, state] = [uniqueName(`it-${client}-txn`), uniqueName(`it-${client}-txn-state`)]
      await createTopic(topic, 3)
      await bus.ensureTopic({
        topic: state,
        partitions: 1,
        replicationFactor: 1,
        configEntries: {'cleanup.policy': 'compact'},
      })
      const producer = await bus.createTransactionalProducer(uniqueName('etl-source-it'))
      try {
        const messages = ['BTC', 'ETH', 'SOL', 'BTC', 'ETH', 'BTC'].map((key, i) => ({
          key,
          value: JSON.stringify({key, i}),
        }))
        await producer.sendAtomically([
          {topic, messages},
          {topic: state, messages: [{key: 'src', value: '{"n":1}'}]},
        ])
        let seen: Map<string, Map<number, bigint>> | undefined
        const second = await producer.sendAtomically([{topic, messages: messages.slice(0, 2)}], (written) => {
          seen = written
          return [
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
          ]
        })
        expect([...seen!.get(topic)!]).to.deep.equal([...second.get(topic)!])
        expect(second.get(state)?.get(0)).to.equal(3n) // n:1, its marker, then n:2 at offset 2
        const onTopic = await readTopic(topic, 8)
        for (const [partition, next] of second.get(topic)!) {
          const last = onTopic
            .filter((m) => m.partition === partition)
            .map((m) => BigInt(m.offset))
            .reduce((a, b) => (a > b ? a : b))
          expect(next, `partition ${partition}`).to.equal(last + 1n)
        }
        const sizes = await partitionSizes(topic)
        // A commit marker follows each partition's last record.
        for (const [partition, next] of second.get(topic)!) expect(BigInt(sizes.get(partition)!)).to.equal(next + 1n)
        const latest = await bus.readLatest(state) // a compacted topic written in transactions: ends in a marker
        expect(JSON.parse(latest.get('src')!.toString())).to.deep.equal({
          n: 2,
          ends: Object.fromEntries([...second.get(topic)!].map(([p, o]) => [String(p), String(o)])),
        })
      } finally {
        await producer.disconnect()
      }
    })

    it('sendAtomically: what `along` makes of the per-partition counts commits with the records', async () => {
      const [topic, state] = [uniqueName(`it-${client}-along`), uniqueName(`it-${client}-along-state`)]
      await createTopic(topic, 3)
      await createTopic(state, 1)
      const producer = await bus.createTransactionalProducer(uniqueName('etl-source-it'))
      try {
        const messages = ['BTC', 'ETH', 'SOL', 'BTC', 'ETH', 'BTC'].map((key, i) => ({key, value: String(i)}))
        let counted: Map<number, number> | undefined
        const offsets = await producer.sendAtomically(
          [{topic, messages}],
          () => [],
          (counts) => {
            counted = counts.get(topic)
            return [{topic: state, messages: [{key: 'src', value: JSON.stringify(Object.fromEntries(counted ?? []))}]}]
          },
        )
        const onTopic = await readTopic(topic, 6)
        const perPartition = new Map<number, number>()
        for (const m of onTopic) perPartition.set(m.partition, (perPartition.get(m.partition) ?? 0) + 1)
        expect(counted).to.deep.equal(perPartition)
        for (const [partition, records] of perPartition)
          expect(offsets.get(topic)?.get(partition)).to.equal(BigInt(records))
        const latest = await bus.readLatest(state)
        expect(JSON.parse(latest.get('src')!.toString())).to.deep.equal(
          Object.fromEntries([...perPartition].map(([p, n]) => [String(p), n])),
        )
        expect(offsets.get(state)?.get(0), 'one message on the state topic').to.equal(1n)
      } finally {
        await producer.disconnect()
      }
    })

    const fencingTitle =
      'a new transactional producer fences the older one (ETL_SOURCE_FENCED) ' +
      "and ends a dead one's open transaction"
    it(fencingTitle, async () => {
      const topic = uniqueName(`it-${client}-fenced`)
      await createTopic(topic, 1)
      const id = uniqueName('etl-source-it')
      await rawTransaction(id, topic, ['ghost-1', 'ghost-2'], 'die')
      const older = await bus.createTransactionalProducer(id)
      await older.sendAtomically([{topic, messages: [{key: 'k', value: 'from-the-older'}]}])
      const newer = await bus.createTransactionalProducer(id)
      try {
        const error = await older.sendAtomically([{topic, messages: [{key: 'k', value: 'fenced'}]}]).then(
          () => undefined,
          (e: unknown) => e as {code?: string; message: string},
        )
        expect(error?.code).to.equal('ETL_SOURCE_FENCED')
        expect(error?.message).to.include(id)
        await newer.sendAtomically([{topic, messages: [{key: 'k', value: 'from-the-newer'}]}])
        expect((await readTopic(topic, 2)).map((m) => m.value)).to.deep.equal(['from-the-older', 'from-the-newer'])
        // The topic now ends in an aborted transaction.
        await rawTransaction(uniqueName('etl-other'), topic, ['aborted-1'], 'abort')
        expect((await bus.readLatest(topic)).get('k')?.toString()).to.equal('from-the-newer')
      } finally {
        await older.disconnect().catch(() => undefined)
        await newer.disconnect()
      }
    })

    const readLatestTitle =
      'readLatest: a missing topic is empty; latest per key, tombstones and keyless skipped; a topic of ' +
      'only an aborted transaction ends'
    it(readLatestTitle, async () => {
      expect((await bus.readLatest(uniqueName('it-missing'))).size).to.equal(0)
      const topic = uniqueName(`it-${client}-latest`)
      await createTopic(topic, 3)
      await produceRaw(topic, [
        {key: 'a', value: '1'},
        {key: 'b', value: '1'},
        {key: 'a', value: '2'},
        {key: 'b', value: null},
        {value: 'keyless'},
        {key: 'c', value: '1'},
      ])
      expect(Object.fromEntries([...(await bus.readLatest(topic))].map(([k, v]) => [k, v.toString()]))).to.deep.equal({
        a: '2',
        c: '1',
      })
      const onlyAborted = uniqueName(`it-${client}-only-aborted`)
      await createTopic(onlyAborted, 1)
      await rawTransaction(uniqueName('etl-other'), onlyAborted, ['aborted'], 'abort')
      expect((await bus.readLatest(onlyAborted)).size).to.equal(0)
    })

    const consumerTitle =
      'consumer: per-partition batches, read_committed, commit only after the handler, onAssignment; a ' +
      'restart resumes after the committed offsets'
    it(consumerTitle, async () => {
      const topic = uniqueName(`it-${client}-consume`)
      const groupId = uniqueName(`it-${client}-group`)
      await createTopic(topic, 2)
      const txn = await bus.createTransactionalProducer(uniqueName('etl-source-it'))
      const keys = ['BTC', 'ETH', 'SOL', 'ADA', 'XRP', 'DOT']
      await txn.sendAtomically([
        {topic, messages: keys.map((key, i) => ({key, value: `${key}-${i}`, headers: {h: key}}))},
      ])
      await rawTransaction(uniqueName('etl-other'), topic, ['aborted'], 'abort')
      await txn.disconnect()

      const batches: ConsumedBatch[] = []
      const assignments: {partitions: number[]; memberId: string}[] = []
      let release!: () => void
      const held = new Promise<void>((resolve) => (release = resolve))
      let holding = false
      const consumer = bus.createConsumer(groupId)
      const running = consumer.run({
        topic,
        groupId,
        fromBeginning: true,
        onAssignment: (assignment) => assignments.push(assignment),
        onBatch: async (batch) => {
          batches.push(batch)
          if (batches.length === 1) {
            holding = true
            await held // the first batch waits: nothing may be committed meanwhile
          }
        },
      })
      await eventually(async () => (holding ? true : undefined), 'the first batch')
      expect(assignments).to.have.length(1)
      expect(assignments[0].partitions).to.deep.equal([0, 1])
      expect(assignments[0].memberId).to.be.a('string').and.not.equal('')
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect([...(await bus.committedOffsets(groupId, topic)).values()]).to.deep.equal([-1n, -1n])
      release()
      const values = await eventually(async () => {
        const got = batches.flatMap((b) => b.messages.map((m) => m.value?.toString()))
        return got.length >= keys.length ? got : undefined
      }, 'all records')
      expect(values.sort()).to.deep.equal(keys.map((key, i) => `${key}-${i}`).sort()) // the aborted record never came
      for (const batch of batches) {
        expect(batch.topic).to.equal(topic)
        for (const m of batch.messages) expect(m.headers).to.deep.equal({h: m.key?.toString()})
        const offsets = batch.messages.map((m) => BigInt(m.offset))
        expect(offsets).to.deep.equal([...offsets].sort((a, b) => (a < b ? -1 : 1)))
      }
      // Markers and the aborted record are committed past too: committed = end offset on both partitions.
      const ends = await bus.endOffsets(topic)
      await eventually(
        async () => {
          const committed = await bus.committedOffsets(groupId, topic)
          return [...ends].every(([p, end]) => committed.get(p) === end) ? true : undefined
        },
        `committed = end offsets ${[...ends]}`,
      )

      await consumer.stop()
      await running

      // The next member of the group starts where the first one committed: only the record produced since.
      await produceRaw(topic, [{key: 'BTC', value: 'late'}])
      const resumed: string[] = []
      const next = bus.createConsumer(groupId)
      const runningNext = next.run({
        topic,
        groupId,
        fromBeginning: true,
        onBatch: async (batch) => void resumed.push(...batch.messages.map((m) => m.value!.toString())),
      })
      await eventually(async () => (resumed.length > 0 ? true : undefined), 'the record produced since')
      await new Promise((resolve) => setTimeout(resolve, 1000))
      await next.stop()
      await runningNext
      expect(resumed).to.deep.equal(['late'])
    })

    it('stop() while a batch is in its handler: the handler finishes and its offsets are committed', async () => {
      const topic = uniqueName(`it-${client}-stop`)
      const groupId = uniqueName(`it-${client}-group`)
      await createTopic(topic, 1)
      await produceRaw(topic, [{key: 'BTC', value: 'in-flight'}])
      let stopping: Promise<void> | undefined
      const handled: string[] = []
      const consumer = bus.createConsumer(groupId)
      const running = consumer.run({
        topic,
        groupId,
        fromBeginning: true,
        onBatch: async (batch) => {
          stopping ??= consumer.stop()
          await new Promise((resolve) => setTimeout(resolve, 500))
          handled.push(...batch.messages.map((m) => m.value!.toString()))
        },
      })
      await eventually(async () => (stopping ? true : undefined), 'a batch')
      await stopping
      await running
      expect(handled).to.deep.equal(['in-flight'])
      expect([...(await bus.committedOffsets(groupId, topic))]).to.deep.equal([[0, 1n]])
    })

    it('a handler that throws ends run() with its error and leaves the batch uncommitted', async () => {
      const topic = uniqueName(`it-${client}-fail`)
      const groupId = uniqueName(`it-${client}-group`)
      await createTopic(topic, 1)
      await produceRaw(topic, [{key: 'k', value: 'poison'}])
      const consumer = bus.createConsumer(groupId)
      const error = await consumer
        .run({topic, groupId, fromBeginning: true, onBatch: async () => Promise.reject(new Error('sink down'))})
        .then(
          () => undefined,
          (e: unknown) => e as Error,
        )
      expect(error?.message).to.equal('sink down')
      await consumer.stop().catch(() => undefined)
      expect([...(await bus.committedOffsets(groupId, topic)).values()]).to.deep.equal([-1n])
    })
  })
}

describe('MessageBus contract: both clients put a key on the same partition', function () {
  this.timeout(120_000)

  it('kafkajs and platformatic agree for every key (Java-compatible murmur2)', async () => {
    const keys = Array.from({length: 60}, (_, i) =>
      i % 3 === 0 ? `coin-${i}` : i % 3 === 1 ? `€${i}✓` : 'x'.repeat(i),
    )
    const partitionsPerClient = new Map<string, Map<string, number>>()
    for (const client of KAFKA_CLIENTS) {
      const bus = await busFor(client)
      const topic = uniqueName(`it-${client}-keys`)
      await createTopic(topic, 7)
      const producer = await bus.createProducer()
      await producer.send(
        topic,
        keys.map((key) => ({key, value: key})),
      )
      await producer.disconnect()
      await bus.close()
      partitionsPerClient.set(client, new Map((await readTopic(topic, keys.length)).map((m) => [m.key!, m.partition])))
    }
    const [kafkajs, platformatic] = [partitionsPerClient.get('kafkajs')!, partitionsPerClient.get('platformatic')!]
    expect(new Set(kafkajs.values()).size).to.be.greaterThan(3)
    for (const key of keys) expect(platformatic.get(key), key).to.equal(kafkajs.get(key))
  })
})
