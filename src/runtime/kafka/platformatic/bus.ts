/**
 * The @platformatic/kafka implementation of MessageBus (chosen with `kafka.client: platformatic`); with the other files
 * of this folder, the only code in etl that imports @platformatic/kafka. Behaviour, errors and logging follow the
 * kafkajs implementation, which is the reference.
 */
import {
  Admin,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  type Consumer,
  type FetchIsolationLevelValue,
} from '@platformatic/kafka'
import type {Logger} from '../../logger.js'
import {backoffDelay, sleep} from '../../retry.js'
import {kafkaError, unreachableError} from '../core/bus-errors.js'
import type {KafkaConnection, MessageBusOptions} from '../core/bus-options.js'
import {DEFAULT_CHECK_TIMEOUT_MS, CONNECT_TIMEOUT_MS, PROBE_RETRY} from '../core/client-settings.js'
import {plainBus, plainConsumer} from '../core/plain-object.js'
import {ReplicationDefault} from '../core/replication.js'
import {retryTransient} from '../core/retry-transient.js'
import type {BusConsumer, BusProducer, MessageBus, TopicSpec, TransactionalProducer} from '../message-bus.js'
import {baseOptions} from './client-options.js'
import {classifyPlatformaticError, isTransient, platformaticErrors} from './errors.js'
import {PlatformaticGroupConsumer} from './group-consumer.js'
import {createPlatformaticProducer, createPlatformaticTransactionalProducer} from './producers.js'
import {createReader, readLatestValues, type PartitionRange} from './read-latest.js'

export function createPlatformaticBus(options: MessageBusOptions): MessageBus {
  return plainBus(new PlatformaticBus(options))
}

/** The library retries retriable answers itself; a broker that just started can still say some for a moment. */
class PlatformaticBus implements MessageBus {
  private readonly connection: KafkaConnection
  private readonly logger: Logger
  private admin: Admin | undefined
  private reader: Consumer | undefined
  private readonly replication: ReplicationDefault

  constructor(options: MessageBusOptions) {
    this.connection = {brokers: options.brokers, clientId: options.clientId}
    this.logger = options.logger
    this.replication = new ReplicationDefault(async () => {
      const metadata = await retryTransient(() => this.adminClient().metadata({topics: []}), isTransient)
      return metadata.brokers.size
    }, this.logger)
  }

  async checkConnection(timeoutMs = DEFAULT_CHECK_TIMEOUT_MS): Promise<void> {
    const probe = new Admin({
      ...baseOptions(this.connection, PROBE_RETRY),
      connectTimeout: Math.min(timeoutMs, CONNECT_TIMEOUT_MS),
      timeout: timeoutMs,
    })
    try {
      await probe.metadata({topics: []})
    } catch (error) {
      throw unreachableError(platformaticErrors, this.connection.brokers, error)
    } finally {
      await probe.close().catch(() => undefined)
    }
  }

  async ensureTopic({topic, partitions, configEntries = {}, ...asked}: TopicSpec): Promise<void> {
    try {
      if (await this.topicExists(topic)) return
      const replicationFactor = await this.replication.of(asked.replicationFactor)
      const configs = Object.entries(configEntries).map(([name, value]) => ({name, value}))
      const spec = {topics: [topic], partitions, replicas: replicationFactor, configs}
      await retryTransient(() => this.adminClient().createTopics(spec), isTransient)
      await waitForLeaders(this.adminClient(), topic)
      this.logger.info(`created topic ${topic}`, {partitions, replicationFactor, ...configEntries})
    } catch (error) {
      if (classifyPlatformaticError(error).alreadyExists) return // another process created it first
      throw this.failure(`creating topic ${topic}`, error)
    }
  }

  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    // read_committed, as kafkajs asks by default: the last stable offset, what the process stage can reach now.
    const latest = ListOffsetTimestamps.LATEST
    return this.offsetsAt(topic, latest, FetchIsolationLevels.READ_COMMITTED).catch((error: unknown) => {
      throw this.failure(`reading the end offsets of ${topic}`, error)
    })
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>> {
    try {
      const partitions = await this.partitionsOf(topic)
      const request = {groups: [{groupId, topics: [{name: topic, partitionIndexes: partitions}]}]}
      const groups = await retryTransient(() => this.adminClient().listConsumerGroupOffsets(request), isTransient)
      const committed = new Map<number, bigint>(partitions.map((p) => [p, -1n]))
      for (const entry of groups[0]?.topics.find((t) => t.name === topic)?.partitions ?? [])
        committed.set(entry.partitionIndex, entry.committedOffset)
      return committed
    } catch (error) {
      throw this.failure(`reading the committed offsets of group ${groupId}`, error)
    }
  }

  async readLatest(topic: string): Promise<Map<string, Buffer>> {
    try {
      if (!(await this.topicExists(topic))) return new Map()
      const low = await this.offsetsAt(topic, ListOffsetTimestamps.EARLIEST)
      const high = await this.offsetsAt(topic, ListOffsetTimestamps.LATEST)
      const ranges: PartitionRange[] = [...high].map(([partition, end]) => ({
        partition,
        low: low.get(partition) ?? 0n,
        high: end,
      }))
      this.reader ??= createReader(this.connection)
      return await readLatestValues(
        this.reader,
        topic,
        ranges.filter((r) => r.high > r.low),
      )
    } catch (error) {
      throw this.failure(`reading ${topic}`, error)
    }
  }

  createProducer(): Promise<BusProducer> {
    return createPlatformaticProducer(this.connection)
  }

  createTransactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    return createPlatformaticTransactionalProducer(this.connection, transactionalId)
  }

  createConsumer(groupId: string): BusConsumer {
    return plainConsumer(new PlatformaticGroupConsumer(this.connection, groupId, this.logger))
  }

  async close(): Promise<void> {
    await Promise.all([this.admin?.close().catch(() => undefined), this.reader?.close().catch(() => undefined)])
  }

  private adminClient(): Admin {
    return (this.admin ??= new Admin(baseOptions(this.connection)))
  }

  private async topicExists(topic: string): Promise<boolean> {
    return (await retryTransient(() => this.adminClient().listTopics(), isTransient)).includes(topic)
  }

  private async partitionsOf(topic: string): Promise<number[]> {
    const request = {topics: [topic], forceUpdate: true}
    const metadata = await retryTransient(() => this.adminClient().metadata(request), isTransient)
    return [...metadata.topics.get(topic)!.partitions.keys()]
  }

  /**
   * Offsets per partition at a timestamp (LATEST = the high water mark, or with READ_COMMITTED the last stable offset:
   * below the oldest transaction still open; EARLIEST = the log start).
   */
  private async offsetsAt(
    topic: string,
    timestamp: bigint,
    isolationLevel: FetchIsolationLevelValue = FetchIsolationLevels.READ_UNCOMMITTED,
  ): Promise<Map<number, bigint>> {
    const partitions = await this.partitionsOf(topic)
    const request = {
      topics: [{name: topic, partitions: partitions.map((partitionIndex) => ({partitionIndex, timestamp}))}],
      isolationLevel,
    }
    const [listed] = await retryTransient(() => this.adminClient().listOffsets(request), isTransient)
    return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]))
  }

  private failure(what: string, error: unknown) {
    return kafkaError(platformaticErrors, this.connection.brokers, what, error)
  }
}

/** kafkajs' createTopics can wait for the partitions' leaders; here etl waits (a producer could race them). */
async function waitForLeaders(admin: Admin, topic: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 1; Date.now() < deadline; attempt++) {
    const metadata = await admin.metadata({topics: [topic], forceUpdate: true}).catch(() => undefined)
    const partitions = metadata?.topics.get(topic)?.partitions
    if (partitions && partitions.length > 0 && partitions.every((p) => p.leader >= 0)) return
    await sleep(backoffDelay(attempt, {initialDelayMs: 100, maxDelayMs: 1000}))
  }
}
