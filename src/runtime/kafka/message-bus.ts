/**
 * What the runtime needs from Kafka, and nothing more. Only src/runtime/kafka/ talks to a Kafka client, so a faster
 * client (e.g. @platformatic/kafka) can replace kafkajs by implementing this interface.
 */
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

export interface BusProducer {
  /** Resolves once every message is acknowledged by all in-sync replicas (acks=all, idempotent). */
  send(topic: string, messages: BusMessage[]): Promise<void>
  disconnect(): Promise<void>
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
  replicationFactor: number
}

export interface MessageBus {
  /** Fails fast with ETL_KAFKA_UNREACHABLE when no broker answers. */
  checkConnection(timeoutMs?: number): Promise<void>
  /** Creates the topic if it does not exist; an existing topic is left as it is. */
  ensureTopic(spec: TopicSpec): Promise<void>
  /** Next offset to be written, per partition (the "high water mark"). */
  endOffsets(topic: string): Promise<Map<number, bigint>>
  /** Committed offset per partition of a group (-1 when nothing is committed). */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>>
  createProducer(): Promise<BusProducer>
  createConsumer(groupId: string): BusConsumer
  close(): Promise<void>
}
