/** The kafkajs implementation of MessageBus; with the other files of this folder, the only code importing kafkajs. */
import {Kafka, logLevel as KafkaLogLevel, type Admin} from 'kafkajs'
import type {Logger} from '../../logger.js'
import {kafkaError, unreachableError} from '../core/bus-errors.js'
import type {MessageBusOptions} from '../core/bus-options.js'
import {CLIENT_RETRY, CONNECT_TIMEOUT_MS, DEFAULT_CHECK_TIMEOUT_MS, PROBE_RETRY} from '../core/client-settings.js'
import {plainBus, plainConsumer} from '../core/plain-object.js'
import {ReplicationDefault} from '../core/replication.js'
import {retryTransient} from '../core/retry-transient.js'
import type {BusConsumer, BusProducer, MessageBus, TopicSpec, TransactionalProducer} from '../message-bus.js'
import {reportKafkajsBuild} from './build.js'
import {classifyKafkajsError, isTransient, kafkajsErrors} from './errors.js'
import {KafkajsGroupConsumer} from './group-consumer.js'
import {logCreatorFor} from './log-creator.js'
import {createIdempotentProducer, createKafkajsTransactionalProducer, type ProducerInputs} from './producers.js'
import {readLatestValues} from './read-latest.js'
import {kafkajsRetry} from './retry-options.js'

export function createKafkajsBus(options: MessageBusOptions): MessageBus {
  return plainBus(new KafkajsBus(options))
}

/**
 * kafkajs retries its consumer and producer calls itself, but not every admin call: on a broker that just started,
 * OffsetFetch answers "not the correct coordinator" for a moment. Such answers are retried here (retryTransient).
 */
class KafkajsBus implements MessageBus {
  private readonly kafka: Kafka
  private readonly admin: Admin
  private adminConnected: Promise<void> | undefined
  private readonly producerInputs: ProducerInputs
  private readonly logger: Logger
  private readonly replication: ReplicationDefault

  constructor(private readonly options: MessageBusOptions) {
    this.logger = options.logger
    this.replication = new ReplicationDefault(() => this.clusterSize(), this.logger)
    reportKafkajsBuild(this.logger)
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: process.env.ETL_LOG_LEVEL === 'debug' ? KafkaLogLevel.DEBUG : KafkaLogLevel.WARN,
      logCreator: logCreatorFor(this.logger),
      connectionTimeout: CONNECT_TIMEOUT_MS,
      retry: kafkajsRetry(CLIENT_RETRY),
    })
    this.admin = this.kafka.admin()
    this.producerInputs = {kafka: this.kafka, brokers: options.brokers, admin: () => this.connectedAdmin()}
  }

  async checkConnection(timeoutMs = DEFAULT_CHECK_TIMEOUT_MS): Promise<void> {
    const probe = new Kafka({
      clientId: this.options.clientId,
      brokers: this.options.brokers,
      logLevel: KafkaLogLevel.NOTHING,
      connectionTimeout: Math.min(timeoutMs, CONNECT_TIMEOUT_MS),
      retry: kafkajsRetry(PROBE_RETRY),
    }).admin()
    try {
      await probe.connect()
      await probe.describeCluster()
    } catch (error) {
      throw unreachableError(kafkajsErrors, this.options.brokers, error)
    } finally {
      await probe.disconnect().catch(() => undefined)
    }
  }

  async ensureTopic({topic, partitions, configEntries = {}, ...asked}: TopicSpec): Promise<void> {
    try {
      const admin = await this.connectedAdmin()
      if (await this.topicExists(topic)) return
      const replicationFactor = await this.replication.of(asked.replicationFactor)
      const entries = Object.entries(configEntries).map(([name, value]) => ({name, value}))
      await retryTransient(
        () =>
          admin.createTopics({
            topics: [{topic, numPartitions: partitions, replicationFactor, configEntries: entries}],
            waitForLeaders: true,
          }),
        isTransient,
      )
      this.logger.info(`created topic ${topic}`, {partitions, replicationFactor, ...configEntries})
    } catch (error) {
      if (classifyKafkajsError(error).alreadyExists) return // another process created it first
      throw this.failure(`creating topic ${topic}`, error)
    }
  }

  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    await this.connectedAdmin()
    const offsets = await this.topicOffsets(topic).catch((error: unknown) => {
      throw this.failure(`reading the end offsets of ${topic}`, error)
    })
    return new Map(offsets.map((entry) => [entry.partition, BigInt(entry.high)]))
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>> {
    const admin = await this.connectedAdmin()
    const [entry] = await retryTransient(() => admin.fetchOffsets({groupId, topics: [topic]}), isTransient).catch(
      (error: unknown) => {
        throw this.failure(`reading the committed offsets of group ${groupId}`, error)
      },
    )
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]))
  }

  async readLatest(topic: string): Promise<Map<string, Buffer>> {
    try {
      if (!(await this.topicExists(topic))) return new Map()
      const offsets = await this.topicOffsets(topic)
      const inputs = {kafka: this.kafka, admin: this.admin, topic, offsets, groupPrefix: this.options.clientId}
      return await readLatestValues(inputs)
    } catch (error) {
      throw this.failure(`reading ${topic}`, error)
    }
  }

  createProducer(): Promise<BusProducer> {
    return createIdempotentProducer(this.producerInputs)
  }

  createTransactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
    return createKafkajsTransactionalProducer(this.producerInputs, transactionalId)
  }

  createConsumer(groupId: string): BusConsumer {
    return plainConsumer(new KafkajsGroupConsumer(this.kafka, groupId, this.logger, () => this.clusterSize()))
  }

  async close(): Promise<void> {
    if (this.adminConnected) await this.admin.disconnect().catch(() => undefined)
  }

  private async connectedAdmin(): Promise<Admin> {
    await (this.adminConnected ??= this.admin.connect())
    return this.admin
  }

  /** The brokers the cluster has now (describeCluster lists the live ones). */
  private async clusterSize(): Promise<number> {
    const admin = await this.connectedAdmin()
    return (await retryTransient(() => admin.describeCluster(), isTransient)).brokers.length
  }

  private async topicExists(topic: string): Promise<boolean> {
    const admin = await this.connectedAdmin()
    return (await retryTransient(() => admin.listTopics(), isTransient)).includes(topic)
  }

  private async topicOffsets(topic: string) {
    const admin = await this.connectedAdmin()
    return retryTransient(() => admin.fetchTopicOffsets(topic), isTransient)
  }

  private failure(what: string, error: unknown) {
    return kafkaError(kafkajsErrors, this.options.brokers, what, error)
  }
}
