/**
 * @platformatic/kafka producers behind BusProducer and TransactionalProducer. As with kafkajs, etl picks each record's
 * partition itself (core/key-partitioner.ts: the same Java-compatible murmur2 as kafkajs), so a send knows how many
 * records went to each partition and reports the offset right after its last record, never a transaction marker's.
 */
import {Producer, type MessageToProduce, type ProduceResult} from '@platformatic/kafka'
import {AtomicProducer, type OpenTransaction} from '../core/atomic-producer.js'
import {kafkaError, transactionalFailure} from '../core/bus-errors.js'
import type {KafkaConnection} from '../core/bus-options.js'
import {IDEMPOTENT_RETRY, TRANSACTION_TIMEOUT_MS, TRANSACTIONAL_RETRY} from '../core/client-settings.js'
import {KeyPartitioner} from '../core/key-partitioner.js'
import {plainTransactionalProducer} from '../core/plain-object.js'
import {PartitionCounts, type WrittenPartition} from '../core/produced-offsets.js'
import type {
  AlongBatches,
  BusMessage,
  BusProducer,
  ProducedOffsets,
  TopicBatch,
  TransactionalProducer,
} from '../message-bus.js'
import {baseOptions} from './client-options.js'
import {platformaticErrors} from './errors.js'

type Record = MessageToProduce<Buffer, Buffer, Buffer, Buffer>
/** The library's transaction type, which its package does not export by name. */
type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>

/** Builds the records of a send, with their partitions set. */
class RecordBuilder {
  private readonly partitioner = new KeyPartitioner()
  /** Partition counts per topic, asked once: partitions are only ever added, and etl never adds any. */
  private readonly partitionCounts = new Map<string, Promise<number>>()

  constructor(private readonly producer: Producer) {}

  /** The records of `messages`, each counted in `counts`. */
  async build(topic: string, messages: BusMessage[], counts: PartitionCounts): Promise<Record[]> {
    const partitionCount = await this.partitionCount(topic)
    return messages.map((message): Record => {
      const partition = this.partitioner.partition(topic, message.key, partitionCount)
      counts.add(topic, partition)
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
  }

  private partitionCount(topic: string): Promise<number> {
    let known = this.partitionCounts.get(topic)
    if (!known) {
      known = this.producer.metadata({topics: [topic]}).then((metadata) => metadata.topics.get(topic)!.partitionsCount)
      known.catch(() => this.partitionCounts.delete(topic)) // ask again next time
      this.partitionCounts.set(topic, known)
    }
    return known
  }
}

/** The broker answers one base offset per partition. */
function written(result: ProduceResult): WrittenPartition[] {
  return (result.offsets ?? []).map(({topic, partition, offset}) => ({topic, partition, baseOffset: offset}))
}

export async function createPlatformaticProducer(connection: KafkaConnection): Promise<BusProducer> {
  const producer = new Producer({...baseOptions(connection, IDEMPOTENT_RETRY), idempotent: true, acks: -1})
  const builder = new RecordBuilder(producer)
  try {
    await producer.initIdempotentProducer({}) // connects and gets the producer id, as kafkajs' connect() does
  } catch (error) {
    await producer.close().catch(() => undefined)
    throw kafkaError(platformaticErrors, connection.brokers, 'connecting the producer', error)
  }
  return {
    async send(topic, messages) {
      if (messages.length === 0) return new Map()
      try {
        const counts = new PartitionCounts()
        const records = await builder.build(topic, messages, counts)
        const result = await producer.send({messages: records, acks: -1})
        return counts.offsetsAfter(written(result)).get(topic) ?? new Map()
      } catch (error) {
        const what = `producing ${messages.length} record(s) to ${topic}`
        throw kafkaError(platformaticErrors, connection.brokers, what, error)
      }
    },
    disconnect: () => producer.close(),
  }
}

export async function createPlatformaticTransactionalProducer(
  connection: KafkaConnection,
  transactionalId: string,
): Promise<TransactionalProducer> {
  const producer = new Producer({
    ...baseOptions(connection, TRANSACTIONAL_RETRY),
    // The library sends its request timeout as the transaction timeout (InitProducerId): both are this.
    timeout: TRANSACTION_TIMEOUT_MS,
    idempotent: true,
    transactionalId,
    // "No producer id yet" in InitProducerId. The library's default (id 0, epoch 0) asks the broker to bump producer
    // 0's epoch, which it refuses with PRODUCER_FENCED as soon as the transactional id has a producer from an earlier
    // run: a restarted source could never start.
    producerId: -1n,
    producerEpoch: -1,
  })
  const fail = transactionalFailure(platformaticErrors, connection.brokers, transactionalId)
  try {
    // The first transaction asks for the producer id, which fences older producers and ends their open transaction;
    // cancel() then drops it locally (no partition was added, so there is nothing to end at the broker).
    const empty = await producer.beginTransaction()
    await empty.cancel()
  } catch (error) {
    await producer.close().catch(() => undefined)
    throw fail(`starting the transactional producer ${transactionalId}`, error)
  }
  const builder = new RecordBuilder(producer)
  const atomic = new AtomicProducer({
    begin: async () => openTransaction(await producer.beginTransaction(), builder),
    fail,
    disconnect: () => producer.close(),
  })
  return plainTransactionalProducer(atomic)
}

function openTransaction(transaction: Transaction, builder: RecordBuilder): OpenTransaction {
  return {
    async send(batches: TopicBatch[], along?: AlongBatches): Promise<Map<string, ProducedOffsets>> {
      const counts = new PartitionCounts()
      const records: Record[] = []
      const build = async (list: TopicBatch[]) => {
        for (const {topic, messages} of list)
          if (messages.length > 0) records.push(...(await builder.build(topic, messages, counts)))
      }
      await build(batches)
      if (along) await build(along(counts.snapshot()))
      if (records.length === 0) return new Map()
      return counts.offsetsAfter(written(await transaction.send({messages: records})))
    },
    abort: () => transaction.abort().catch(() => transaction.cancel()),
    commit: async () => void (await transaction.commit()),
  }
}
