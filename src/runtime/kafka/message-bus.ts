/**
 * What the runtime needs from Kafka, and nothing more. Only src/runtime/kafka/ talks to a Kafka client, so a faster
 * client (e.g. @platformatic/kafka) can replace kafkajs by implementing this interface.
 */
import {EtlError} from '../errors.js'

export interface BusMessage {
  key: string | null
  value: Buffer | string
  headers?: Record<string, string>
}

export interface ConsumedMessage {
  offset: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, string>
}

export interface ConsumedBatch {
  topic: string
  partition: number
  messages: ConsumedMessage[]
}

/** Per partition, the offset right after the last record a send wrote there (a record's offset, never a marker's). */
export type ProducedOffsets = Map<number, bigint>

/** Records per partition, per topic, of a send whose partitions are picked but which has not gone out yet. */
export type PartitionCountsByTopic = Map<string, Map<number, number>>

/** What joins a send in the same request, made from how many of its records go to each partition. */
export type AlongBatches = (counts: PartitionCountsByTopic) => TopicBatch[]

export interface BusProducer {
  /** Resolves once every message is acknowledged by all in-sync replicas (acks=all, idempotent). */
  send(topic: string, messages: BusMessage[]): Promise<ProducedOffsets>
  disconnect(): Promise<void>
}

export interface TopicBatch {
  topic: string
  messages: BusMessage[]
}

/**
 * A producer with a stable transactional id. Creating it fences every earlier producer with the same id: Kafka aborts
 * (or finishes committing) the transaction such a producer left open, and that producer's next call fails.
 */
export interface TransactionalProducer {
  /**
   * Writes every batch in one Kafka transaction: read_committed consumers see all of them or none. Resolves with the
   * produced offsets per topic once committed. Rejects with ETL_SOURCE_FENCED when another producer took the id over,
   * else with ETL_KAFKA; when the commit itself failed, the outcome is unknown and the error carries `sentOffsets`
   * (see commitOutcomeUnknown). After any rejection the producer must be discarded. `then`, when given, is called
   * with the offsets of `batches` once they are written, and what it returns joins the same transaction (a checkpoint
   * that names where its records are). `along`, when given, is called once each record of `batches` has its
   * partition, with how many went to each, and what it returns goes out in the same request as `batches` (a
   * checkpoint that predicts where its records land; `then` can still correct it, at the cost of one more request).
   */
  sendAtomically(
    batches: TopicBatch[],
    then?: (offsets: Map<string, ProducedOffsets>) => TopicBatch[],
    along?: AlongBatches,
  ): Promise<Map<string, ProducedOffsets>>
  disconnect(): Promise<void>
}

/** What either client's transactional producer rejects with once a newer producer took its transactional id over. */
export function sourceFencedError(transactionalId: string, cause: unknown): EtlError {
  return new EtlError(
    'ETL_SOURCE_FENCED',
    `another producer with transactional id "${transactionalId}" took over (is the source stage of this pipeline ` +
      'running in another process?); this one stops so no record is written twice',
    {cause},
  )
}

/** The offsets of a transaction whose commit request failed without an answer: it may or may not have committed. */
export function commitOutcomeUnknown(error: unknown): Map<string, ProducedOffsets> | undefined {
  return (error as {sentOffsets?: Map<string, ProducedOffsets>} | undefined)?.sentOffsets
}

/** This member's share of the group after a rebalance. */
export interface Assignment {
  /** Partitions of the consumed topic this member owns now (possibly none). */
  partitions: number[]
  /**
   * The member's id in the group. A new id means the member was out of the group for a while (its session expired,
   * or the client restarted the consumer), so it may have missed generations in which its partitions moved.
   */
  memberId: string
}

export interface ConsumeOptions {
  topic: string
  groupId: string
  fromBeginning: boolean
  /**
   * Handles one batch of one partition. The batch's offsets are committed only after this resolves, so a handler that
   * resolves after its sinks flushed gives at-least-once delivery into the sinks.
   */
  onBatch(batch: ConsumedBatch): Promise<void>
  /**
   * Called each time this member joined the group and got its partitions, before any batch of the new generation.
   * Batches are not handled while it runs (it must return quickly; heavy work belongs in the next onBatch).
   */
  onAssignment?(assignment: Assignment): void
}

export interface BusConsumer {
  /** Joins the group and consumes until stop(); rejects if consuming fails for good. */
  run(options: ConsumeOptions): Promise<void>
  /** Finishes the batch in flight (handler + commit), leaves the group and disconnects. */
  stop(): Promise<void>
}

export interface TopicSpec {
  topic: string
  partitions: number
  /** Absent: min(3, the brokers in the cluster), so a cluster gets replicated topics and one broker still works. */
  replicationFactor?: number
  /** Topic configs set at creation, e.g. {'cleanup.policy': 'compact'}; an existing topic is not altered. */
  configEntries?: Record<string, string>
}

export interface MessageBus {
  /** Fails fast with ETL_KAFKA_UNREACHABLE when no broker answers. */
  checkConnection(timeoutMs?: number): Promise<void>
  /** Creates the topic if it does not exist; an existing topic is left as it is. */
  ensureTopic(spec: TopicSpec): Promise<void>
  /**
   * Per partition, the end as a read_committed consumer sees it: the last stable offset (the high water mark, unless a
   * transaction is still open: then the offset of its first record). Both clients ask the broker with read_committed.
   */
  endOffsets(topic: string): Promise<Map<number, bigint>>
  /** Committed offset per partition of a group (-1 when nothing is committed). */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>>
  /**
   * Reads a topic from its beginning up to the end offsets it had when the call started and returns the latest value
   * per key (meant for small compacted topics). A null value (a tombstone) removes its key; keyless messages are
   * skipped. A topic that does not exist reads as empty. Reads committed records only, and ends even when the topic
   * ends in a transaction marker or an aborted transaction (offsets no record is delivered for).
   */
  readLatest(topic: string): Promise<Map<string, Buffer>>
  createProducer(): Promise<BusProducer>
  /** Connects and fences older producers with the same id (see TransactionalProducer). */
  createTransactionalProducer(transactionalId: string): Promise<TransactionalProducer>
  createConsumer(groupId: string): BusConsumer
  close(): Promise<void>
}
