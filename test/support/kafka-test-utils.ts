/** Direct access to the real test broker, independent of the code under test: to seed topics and to read them back. */
import {randomUUID} from 'node:crypto'
import {Kafka, logLevel, Partitioners, type IHeaders} from 'kafkajs'

export function testBrokers(): string[] {
  const brokers = process.env.KAFKA_BROKERS
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: run the tests through mocha (test/support/global-broker.ts)')
  return brokers.split(',')
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

function client(): Kafka {
  return new Kafka({clientId: 'etl-test', brokers: testBrokers(), logLevel: logLevel.NOTHING})
}

export async function produceRaw(topic: string, messages: {key?: string; value: string | null}[]): Promise<void> {
  const producer = client().producer({createPartitioner: Partitioners.DefaultPartitioner})
  await producer.connect()
  try {
    await producer.send({topic, messages})
  } finally {
    await producer.disconnect()
  }
}

export interface ReadMessage {
  partition: number
  offset: string
  key: string | null
  value: string
  headers: Record<string, string>
}

/** Reads a topic from the beginning until `count` messages arrived (or the timeout passes). */
export async function readTopic(topic: string, count: number, timeoutMs = 15_000): Promise<ReadMessage[]> {
  const consumer = client().consumer({groupId: uniqueName('etl-test-reader')})
  const out: ReadMessage[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({topics: [topic], fromBeginning: true})
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${out.length} of ${count} messages from ${topic}`)),
        timeoutMs,
      )
      void consumer.run({
        eachMessage: async ({partition, message}) => {
          out.push({
            partition,
            offset: message.offset,
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? '',
            headers: headersToStrings(message.headers),
          })
          if (out.length >= count) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return out
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(headers ?? {})) if (value !== undefined) out[key] = value.toString()
  return out
}

export async function committedTotal(groupId: string, topic: string): Promise<number> {
  const admin = client().admin()
  await admin.connect()
  try {
    const [entry] = await admin.fetchOffsets({groupId, topics: [topic]})
    return entry.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
  } finally {
    await admin.disconnect()
  }
}

/** Creates a topic with this many partitions (produceRaw to a missing topic would get the broker's default). */
export async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = client().admin()
  await admin.connect()
  try {
    await admin.createTopics({topics: [{topic, numPartitions: partitions, replicationFactor: 1}], waitForLeaders: true})
  } finally {
    await admin.disconnect()
  }
}

/** Messages per partition of a topic (end minus start offset). */
export async function partitionSizes(topic: string): Promise<Map<number, number>> {
  const admin = client().admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    return new Map(offsets.map((o) => [o.partition, Number(o.high) - Number(o.low)]))
  } finally {
    await admin.disconnect()
  }
}

/** Committed offset per partition of a group (-1 when nothing is committed). */
export async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = client().admin()
  await admin.connect()
  try {
    const [entry] = await admin.fetchOffsets({groupId, topics: [topic]})
    return new Map(entry.partitions.map((p) => [p.partition, Number(p.offset)]))
  } finally {
    await admin.disconnect()
  }
}

/** Consumer groups on the broker whose id starts with `prefix`. */
export async function groupsStartingWith(prefix: string): Promise<string[]> {
  const admin = client().admin()
  await admin.connect()
  try {
    return (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix))
  } finally {
    await admin.disconnect()
  }
}

// kafkajs' ConfigResourceTypes.TOPIC, written as the protocol's number: with that enum imported here, mocha failed to
// load the test files that import this module (ERR_REQUIRE_ASYNC_MODULE on vega-canvas' top-level await, under tsx).
const TOPIC_RESOURCE = 2

/** A topic config's value as the broker reports it. */
export async function topicConfig(topic: string, name: string): Promise<string | undefined> {
  const admin = client().admin()
  await admin.connect()
  try {
    const {resources} = await admin.describeConfigs({
      resources: [{type: TOPIC_RESOURCE, name: topic, configNames: [name]}],
      includeSynonyms: false,
    })
    return resources[0]?.configEntries.find((entry) => entry.configName === name)?.configValue
  } finally {
    await admin.disconnect()
  }
}

/**
 * A transactional producer written with kafkajs directly, to play another process: it commits, aborts, or dies
 * (its transaction stays open, as when its process was killed; only a successor or the timeout ends it).
 */
export async function rawTransaction(
  transactionalId: string,
  topic: string,
  values: string[],
  end: 'commit' | 'abort' | 'die',
): Promise<void> {
  const kafka = new Kafka({clientId: 'etl-test-raw', brokers: testBrokers(), logLevel: logLevel.NOTHING})
  const producer = kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  await producer.connect()
  const transaction = await producer.transaction()
  await transaction.send({topic, messages: values.map((value) => ({key: 'k', value}))})
  if (end === 'commit') await transaction.commit()
  if (end === 'abort') await transaction.abort()
  await producer.disconnect()
}
