/**
 * kafkajs producers behind BusProducer and TransactionalProducer. Both pick each message's partition themselves (with
 * kafkajs' default, Java-compatible partitioner), so a send knows how many records went to each partition and can
 * report the offset right after its last record: on a transactional topic the end offset is a commit marker that no
 * consumer ever sees, so "caught up to the end" must be measured in record offsets.
 */
import {
  Partitioners,
  type Admin,
  type ICustomPartitioner,
  type Kafka,
  type Message,
  type PartitionerArgs,
  type RecordMetadata,
} from 'kafkajs'
import {EtlError, messageOf} from '../errors.js'
import type {BusMessage, BusProducer, ProducedOffsets, TopicBatch, TransactionalProducer} from './message-bus.js'
import {sourceFencedError} from './message-bus.js'

/** Longer than any transaction etl runs (one send and one commit), far below the broker's default maximum (15 min). */
const TRANSACTION_TIMEOUT_MS = 60_000

/**
 * A transactional producer gives up on a call after about 15 s (starting at 100 ms: the usual retriable answer is
 * CONCURRENT_TRANSACTIONS, while the previous transaction's markers are being written): the source stage then aborts the transaction, builds
 * a new producer and retries the whole transaction (see source-delivery.ts), which survives any outage. Retrying
 * for ever inside kafkajs instead would leave a stuck transaction no shutdown could interrupt.
 */
const TRANSACTIONAL_RETRY = {initialRetryTime: 100, maxRetryTime: 5000, retries: 8}

type Partitioner = ReturnType<ICustomPartitioner>

/** Keys whose partition is remembered per topic (a few coins in practice; the bound only guards odd sources). */
const MAX_CACHED_KEYS = 10_000

export interface ProducerFactoryInputs {
  kafka: Kafka
  /** Connected admin client, used to learn how many partitions a topic has. */
  admin: () => Promise<Admin>
  brokers: string[]
}

function kafkaError(inputs: ProducerFactoryInputs, what: string, error: unknown): EtlError {
  return new EtlError('ETL_KAFKA', `${what} failed at ${inputs.brokers.join(',')}: ${messageOf(error)}`, {cause: error})
}

/** Partition metadata per topic, fetched once: partitions are only ever added, and etl never adds any. */
function partitionAssigner(inputs: ProducerFactoryInputs) {
  const partitioner: Partitioner = Partitioners.DefaultPartitioner()
  const metadata = new Map<string, Promise<{partitionId: number; leader: number}[]>>()
  const partitionsOf = (topic: string) => {
    let known = metadata.get(topic)
    if (!known) {
      known = inputs
        .admin()
        .then(async (admin) => (await admin.fetchTopicMetadata({topics: [topic]})).topics[0].partitions)
      known.catch(() => metadata.delete(topic)) // ask again next time
      metadata.set(topic, known)
    }
    return known
  }
  // A key's partition is a hash of the key modulo the topic's partition count, which never changes here: hashed once.
  const byKey = new Map<string, Map<string, number>>()
  return async (topic: string, messages: BusMessage[]): Promise<{messages: Message[]; counts: Map<number, number>}> => {
    const partitionMetadata = (await partitionsOf(topic)) as PartitionerArgs['partitionMetadata']
    let known = byKey.get(topic)
    if (!known) byKey.set(topic, (known = new Map()))
    const counts = new Map<number, number>()
    const assigned = messages.map(({key, value, headers}) => {
      let partition = typeof key === 'string' ? known.get(key) : undefined
      if (partition === undefined) {
        partition = partitioner({topic, partitionMetadata, message: {key, value}})
        // Bounded, for sources with ever-new keys; unkeyed messages go round-robin and are never cached.
        if (typeof key === 'string' && known.size < MAX_CACHED_KEYS) known.set(key, partition)
      }
      counts.set(partition, (counts.get(partition) ?? 0) + 1)
      return headers === undefined ? {key, value, partition} : {key, value, headers, partition}
    })
    return {messages: assigned, counts}
  }
}

function producedOffsets(
  metadata: RecordMetadata[],
  counts: Map<string, Map<number, number>>,
): Map<string, ProducedOffsets> {
  const out = new Map<string, ProducedOffsets>()
  for (const entry of metadata) {
    const count = counts.get(entry.topicName)?.get(entry.partition)
    const base = entry.baseOffset ?? entry.offset
    if (count === undefined || base === undefined || BigInt(base) < 0n) continue
    let topic = out.get(entry.topicName)
    if (!topic) out.set(entry.topicName, (topic = new Map()))
    topic.set(entry.partition, BigInt(base) + BigInt(count))
  }
  return out
}

export async function createIdempotentProducer(inputs: ProducerFactoryInputs): Promise<BusProducer> {
  // Idempotence needs unlimited retries (kafkajs warns otherwise); a send then waits out a broker restart instead
  // of failing.
  const producer = inputs.kafka.producer({
    idempotent: true,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: {initialRetryTime: 300, maxRetryTime: 30_000, retries: Number.MAX_SAFE_INTEGER},
  })
  const assign = partitionAssigner(inputs)
  try {
    await producer.connect()
  } catch (error) {
    throw kafkaError(inputs, 'connecting the producer', error)
  }
  return {
    async send(topic, messages) {
      if (messages.length === 0) return new Map()
      try {
        const {messages: assigned, counts} = await assign(topic, messages)
        const metadata = await producer.send({topic, acks: -1, messages: assigned})
        return producedOffsets(metadata, new Map([[topic, counts]])).get(topic) ?? new Map()
      } catch (error) {
        throw kafkaError(inputs, `producing ${messages.length} record(s) to ${topic}`, error)
      }
    },
    disconnect: () => producer.disconnect(),
  }
}

/**
 * Kafka says PRODUCER_FENCED (code 90, unknown to kafkajs 2.2) or, to the older protocol versions kafkajs speaks,
 * INVALID_PRODUCER_EPOCH when a newer producer with the same transactional id exists.
 */
export function isFenced(error: unknown): boolean {
  for (let e = error as {type?: string; message?: string; cause?: unknown; originalError?: unknown} | undefined; e;) {
    if (e.type === 'INVALID_PRODUCER_EPOCH' || e.type === 'PRODUCER_FENCED') return true
    if (/unknown error code 90\b|producer.*fenced|fenced.*producer|newer producer/i.test(e.message ?? '')) return true
    e = (e.cause ?? e.originalError) as typeof e
  }
  return false
}

export async function createKafkajsTransactionalProducer(
  inputs: ProducerFactoryInputs,
  transactionalId: string,
): Promise<TransactionalProducer> {
  const producer = inputs.kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: TRANSACTION_TIMEOUT_MS,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: TRANSACTIONAL_RETRY,
  })
  const assign = partitionAssigner(inputs)
  const fail = (what: string, error: unknown) =>
    isFenced(error) ? sourceFencedError(transactionalId, error) : kafkaError(inputs, what, error)
  try {
    await producer.connect()
    // kafkajs asks for the producer id (which fences older producers) only when a transaction begins: begin and end
    // an empty one now, so fencing happens here and not in the middle of the first real transaction.
    const empty = await producer.transaction()
    await empty.abort()
  } catch (error) {
    await producer.disconnect().catch(() => undefined)
    throw fail(`starting the transactional producer ${transactionalId}`, error)
  }
  return {
    async sendAtomically(batches: TopicBatch[], then?: (offsets: Map<string, ProducedOffsets>) => TopicBatch[]) {
      const transaction = await producer.transaction().catch((error: unknown) => {
        throw fail('beginning a transaction', error)
      })
      const offsets = new Map<string, ProducedOffsets>()
      const send = async (part: TopicBatch[]) => {
        const counts = new Map<string, Map<number, number>>()
        const topicMessages: {topic: string; messages: Message[]}[] = []
        for (const {topic, messages} of part) {
          if (messages.length === 0) continue
          const assigned = await assign(topic, messages)
          counts.set(topic, assigned.counts)
          topicMessages.push({topic, messages: assigned.messages})
        }
        if (topicMessages.length === 0) return
        const written = producedOffsets(await transaction.sendBatch({topicMessages, acks: -1}), counts)
        for (const [topic, partitions] of written)
          offsets.set(topic, new Map([...(offsets.get(topic) ?? []), ...partitions]))
      }
      try {
        await send(batches)
        if (then) await send(then(offsets))
      } catch (error) {
        await transaction.abort().catch(() => undefined)
        throw fail(`producing in a transaction to ${batches.map((b) => b.topic).join(', ')}`, error)
      }
      try {
        await transaction.commit()
      } catch (error) {
        // The commit may have reached the coordinator before the connection failed: the caller finds out which.
        throw Object.assign(fail('committing a transaction', error), {sentOffsets: offsets})
      }
      return offsets
    },
    disconnect: () => producer.disconnect(),
  }
}
