/** kafkajs producers behind BusProducer and TransactionalProducer. */
import {Partitioners, type Admin, type Kafka, type Message, type RecordMetadata, type Transaction} from 'kafkajs'
import {AtomicProducer, type OpenTransaction} from '../core/atomic-producer.js'
import {kafkaError, transactionalFailure} from '../core/bus-errors.js'
import {IDEMPOTENT_RETRY, TRANSACTION_TIMEOUT_MS, TRANSACTIONAL_RETRY} from '../core/client-settings.js'
import {plainTransactionalProducer} from '../core/plain-object.js'
import {PartitionCounts, type WrittenPartition} from '../core/produced-offsets.js'
import type {AlongBatches, BusProducer, ProducedOffsets, TopicBatch, TransactionalProducer} from '../message-bus.js'
import {kafkajsErrors} from './errors.js'
import {PartitionAssigner} from './partition-assigner.js'
import {kafkajsRetry} from './retry-options.js'

export interface ProducerInputs {
  kafka: Kafka
  /** Connected admin client, used to learn how many partitions a topic has. */
  admin: () => Promise<Admin>
  brokers: string[]
}

function written(metadata: RecordMetadata[]): WrittenPartition[] {
  return metadata.map((entry) => {
    const base = entry.baseOffset ?? entry.offset
    return {
      topic: entry.topicName,
      partition: entry.partition,
      baseOffset: base === undefined ? undefined : BigInt(base),
    }
  })
}

export async function createIdempotentProducer(inputs: ProducerInputs): Promise<BusProducer> {
  const producer = inputs.kafka.producer({
    idempotent: true,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: kafkajsRetry(IDEMPOTENT_RETRY),
  })
  const assigner = new PartitionAssigner(inputs.admin)
  try {
    await producer.connect()
  } catch (error) {
    throw kafkaError(kafkajsErrors, inputs.brokers, 'connecting the producer', error)
  }
  return {
    async send(topic, messages) {
      if (messages.length === 0) return new Map()
      try {
        const counts = new PartitionCounts()
        const assigned = await assigner.assign(topic, messages, counts)
        const metadata = await producer.send({topic, acks: -1, messages: assigned})
        return counts.offsetsAfter(written(metadata)).get(topic) ?? new Map()
      } catch (error) {
        throw kafkaError(kafkajsErrors, inputs.brokers, `producing ${messages.length} record(s) to ${topic}`, error)
      }
    },
    disconnect: () => producer.disconnect(),
  }
}

export async function createKafkajsTransactionalProducer(
  inputs: ProducerInputs,
  transactionalId: string,
): Promise<TransactionalProducer> {
  const producer = inputs.kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: TRANSACTION_TIMEOUT_MS,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: kafkajsRetry(TRANSACTIONAL_RETRY),
  })
  const assigner = new PartitionAssigner(inputs.admin)
  const fail = transactionalFailure(kafkajsErrors, inputs.brokers, transactionalId)
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
  const atomic = new AtomicProducer({
    begin: async () => openTransaction(await producer.transaction(), assigner),
    fail,
    disconnect: () => producer.disconnect(),
  })
  return plainTransactionalProducer(atomic)
}

function openTransaction(transaction: Transaction, assigner: PartitionAssigner): OpenTransaction {
  return {
    async send(batches: TopicBatch[], along?: AlongBatches): Promise<Map<string, ProducedOffsets>> {
      const counts = new PartitionCounts()
      const topicMessages: {topic: string; messages: Message[]}[] = []
      const assign = async (list: TopicBatch[]) => {
        for (const {topic, messages} of list) {
          if (messages.length > 0) topicMessages.push({topic, messages: await assigner.assign(topic, messages, counts)})
        }
      }
      await assign(batches)
      if (along) await assign(along(counts.snapshot()))
      if (topicMessages.length === 0) return new Map()
      return counts.offsetsAfter(written(await transaction.sendBatch({topicMessages, acks: -1})))
    },
    abort: () => transaction.abort(),
    commit: () => transaction.commit(),
  }
}
