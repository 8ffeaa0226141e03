/**
 * @platformatic/kafka producers behind BusProducer and TransactionalProducer. As in kafkajs-producers.ts, etl picks
 * each record's partition itself (the same Java-compatible murmur2 as kafkajs), so a send knows how many records went
 * to each partition and reports the offset right after its last record, never a transaction marker's.
 */
import {Producer, type MessageToProduce, type ProduceResult} from '@platformatic/kafka'
import {EtlError} from '../errors.js'
import type {BusMessage, BusProducer, ProducedOffsets, TopicBatch, TransactionalProducer} from './message-bus.js'
import {sourceFencedError} from './message-bus.js'
import {baseOptions, isFenced, kafkaError, type PlatformaticBusOptions} from './platformatic-common.js'
import {KeyPartitioner} from './platformatic-partitioner.js'

/**
 * Longer than any transaction etl runs. @platformatic/kafka sends its request timeout as the transaction timeout
 * (InitProducerId), so for the transactional producer both are this.
 */
const TRANSACTION_TIMEOUT_MS = 60_000

/** As kafkajs-producers.ts: give up on a transactional call after ~15 s; the source stage retries the whole transaction. */
const TRANSACTIONAL_RETRY = {retries: 8, initialDelayMs: 100, maxDelayMs: 5000}

type Record = MessageToProduce<Buffer, Buffer, Buffer, Buffer>

/** Partition counts per topic, asked once: partitions are only ever added, and etl never adds any. */
function recordBuilder(producer: Producer) {
  const partitioner = new KeyPartitioner()
  const counts = new Map<string, Promise<number>>()
  const partitionCount = (topic: string) => {
    let known = counts.get(topic)
    if (!known) {
      known = producer.metadata({topics: [topic]}).then((metadata) => metadata.topics.get(topic)!.partitionsCount)
      known.catch(() => counts.delete(topic)) // ask again next time
      counts.set(topic, known)
    }
    return known
  }
  return async (
    topic: string,
    messages: BusMessage[],
  ): Promise<{records: Record[]; perPartition: Map<number, number>}> => {
    const count = await partitionCount(topic)
    const perPartition = new Map<number, number>()
    const records = messages.map((message): Record => {
      const partition = partitioner.partition(topic, message.key, count)
      perPartition.set(partition, (perPartition.get(partition) ?? 0) + 1)
      return {
        topic,
        partition,
        key: message.key === null ? undefined : Buffer.from(message.key),
        value: typeof message.value === 'string' ? Buffer.from(message.value) : message.value,
        headers: message.headers
          ? new Map(Object.entries(message.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]))
          : undefined,
      }
    })
    return {records, perPartition}
  }
}

/** The broker answers one base offset per partition; the send's last record there is base + count - 1. */
function producedOffsets(
  result: ProduceResult,
  counts: Map<string, Map<number, number>>,
): Map<string, ProducedOffsets> {
  const out = new Map<string, ProducedOffsets>()
  for (const {topic, partition, offset} of result.offsets ?? []) {
    const count = counts.get(topic)?.get(partition)
    if (count === undefined || offset < 0n) continue
    let partitions = out.get(topic)
    if (!partitions) out.set(topic, (partitions = new Map()))
    partitions.set(partition, offset + BigInt(count))
  }
  return out
}

export async function createPlatformaticProducer(options: PlatformaticBusOptions): Promise<BusProducer> {
  // Idempotence needs unlimited retries: a send waits out a broker restart instead of failing (as with kafkajs).
  const producer = new Producer({
    ...baseOptions(options, {retries: Number.MAX_SAFE_INTEGER, initialDelayMs: 300, maxDelayMs: 30_000}),
    idempotent: true,
    acks: -1,
  })
  const build = recordBuilder(producer)
  try {
    await producer.initIdempotentProducer({}) // connects and gets the producer id, as kafkajs' connect() does
  } catch (error) {
    await producer.close().catch(() => undefined)
    throw kafkaError(options.brokers, 'connecting the producer', error)
  }
  return {
    async send(topic, messages) {
      if (messages.length === 0) return new Map()
      try {
        const {records, perPartition} = await build(topic, messages)
        const result = await producer.send({messages: records, acks: -1})
        return producedOffsets(result, new Map([[topic, perPartition]])).get(topic) ?? new Map()
      } catch (error) {
        throw kafkaError(options.brokers, `producing ${messages.length} record(s) to ${topic}`, error)
      }
    },
    disconnect: () => producer.close(),
  }
}

export async function createPlatformaticTransactionalProducer(
  options: PlatformaticBusOptions,
  transactionalId: string,
): Promise<TransactionalProducer> {
  const producer = new Producer({
    ...baseOptions(options, TRANSACTIONAL_RETRY),
    timeout: TRANSACTION_TIMEOUT_MS,
    idempotent: true,
    transactionalId,
    // "No producer id yet" in InitProducerId. The library's default (id 0, epoch 0) asks the broker to bump producer
    // 0's epoch, which it refuses with PRODUCER_FENCED as soon as the transactional id has a producer from an earlier
    // run: a restarted source could never start.
    producerId: -1n,
    producerEpoch: -1,
  })
  const build = recordBuilder(producer)
  const fail = (what: string, error: unknown) =>
    isFenced(error) ? sourceFencedError(transactionalId, error) : kafkaError(options.brokers, what, error)
  // After any failure this producer is done: the library would ask for a new producer id on the next transaction,
  // which would fence the producer that fenced this one.
  let broken: EtlError | undefined
  try {
    // The first transaction asks for the producer id, which fences older producers and ends their open transaction;
    // cancel() then drops it locally (no partition was added, so there is nothing to end at the broker).
    const empty = await producer.beginTransaction()
    await empty.cancel()
  } catch (error) {
    await producer.close().catch(() => undefined)
    throw fail(`starting the transactional producer ${transactionalId}`, error)
  }
  return {
    async sendAtomically(batches: TopicBatch[], then?: (offsets: Map<string, ProducedOffsets>) => TopicBatch[]) {
      if (broken) throw broken
      const transaction = await producer.beginTransaction().catch((error: unknown) => {
        throw (broken = fail('beginning a transaction', error))
      })
      const offsets = new Map<string, ProducedOffsets>()
      const send = async (part: TopicBatch[]) => {
        const counts = new Map<string, Map<number, number>>()
        const records: Record[] = []
        for (const {topic, messages} of part) {
          if (messages.length === 0) continue
          const built = await build(topic, messages)
          const known = counts.get(topic) ?? new Map<number, number>()
          for (const [partition, count] of built.perPartition) known.set(partition, (known.get(partition) ?? 0) + count)
          counts.set(topic, known)
          records.push(...built.records)
        }
        if (records.length === 0) return
        const written = producedOffsets(await transaction.send({messages: records}), counts)
        for (const [topic, partitions] of written)
          offsets.set(topic, new Map([...(offsets.get(topic) ?? []), ...partitions]))
      }
      try {
        await send(batches)
        if (then) await send(then(offsets))
      } catch (error) {
        await transaction.abort().catch(() => transaction.cancel().catch(() => undefined))
        throw (broken = fail(`producing in a transaction to ${batches.map((b) => b.topic).join(', ')}`, error))
      }
      try {
        await transaction.commit()
      } catch (error) {
        // The commit may have reached the coordinator before the connection failed: the caller finds out which.
        broken = fail('committing a transaction', error)
        throw Object.assign(broken, {sentOffsets: offsets})
      }
      return offsets
    },
    disconnect: () => producer.close(),
  }
}
