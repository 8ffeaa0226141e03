/**
 * The @platformatic/kafka implementation of MessageBus (chosen with `kafka.client: platformatic`); with the other
 * platformatic-*.ts files, the only code in etl that imports @platformatic/kafka. Behaviour, errors and logging follow
 * the kafkajs implementation (kafkajs-bus.ts), which is the reference.
 */
import {Admin, FetchIsolationLevels, ListOffsetTimestamps} from '@platformatic/kafka'
import {EtlError} from '../errors.js'
import type {Logger} from '../logger.js'
import {backoffDelay, sleep} from '../retry.js'
import type {BusProducer, MessageBus, TopicSpec, TransactionalProducer} from './message-bus.js'
import {apiIdsOf, baseOptions, describeKafkaError, isTransient, kafkaError} from './platformatic-common.js'
import {createPlatformaticGroupConsumer} from './platformatic-consumer.js'
import {createPlatformaticProducer, createPlatformaticTransactionalProducer} from './platformatic-producers.js'
import {createReader, readLatestValues, type PartitionRange} from './platformatic-read-latest.js'

export interface PlatformaticBusOptions {
  brokers: string[]
  clientId: string
  logger: Logger
}

/** The library retries retriable answers itself; a broker that just started can still say these for a moment. */
async function retryTransient<T>(call: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      if (!isTransient(error) || attempt >= attempts) throw error
      await sleep(backoffDelay(attempt, {initialDelayMs: 200, maxDelayMs: 3000}))
    }
  }
}

export function createPlatformaticBus(options: PlatformaticBusOptions): MessageBus {
  const {brokers, clientId, logger} = options
  const connection = {brokers, clientId}
  let admin: Admin | undefined
  const adminClient = () => (admin ??= new Admin(baseOptions(connection)))
  let reader: ReturnType<typeof createReader> | undefined
  const readerClient = () => (reader ??= createReader(connection))

  const partitionsOf = async (topic: string): Promise<number[]> => {
    const metadata = await retryTransient(() => adminClient().metadata({topics: [topic], forceUpdate: true}))
    return [...metadata.topics.get(topic)!.partitions.keys()]
  }
  /** Offsets per partition at a timestamp (LATEST = the high water mark, EARLIEST = the log start). */
  const offsetsAt = async (topic: string, timestamp: bigint): Promise<Map<number, bigint>> => {
    const partitions = await partitionsOf(topic)
    const [listed] = await retryTransient(() =>
      adminClient().listOffsets({
        topics: [{name: topic, partitions: partitions.map((partitionIndex) => ({partitionIndex, timestamp}))}],
        isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
      }),
    )
    return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]))
  }

  return {
    async checkConnection(timeoutMs = 10_000) {
      const probe = new Admin({
        ...baseOptions(connection, {retries: 2, initialDelayMs: 200, maxDelayMs: 1000}),
        connectTimeout: Math.min(timeoutMs, 3000),
        timeout: timeoutMs,
      })
      try {
        await probe.metadata({topics: []})
      } catch (error) {
        throw new EtlError(
          'ETL_KAFKA_UNREACHABLE',
          `no Kafka broker answered at ${brokers.join(',')} (${describeKafkaError(error)}). Start one with \`etl kafka start\`, or set kafka.brokers / KAFKA_BROKERS`,
          {cause: error},
        )
      } finally {
        await probe.close().catch(() => undefined)
      }
    },

    async ensureTopic({topic, partitions, replicationFactor, configEntries = {}}: TopicSpec) {
      try {
        const existing = await retryTransient(() => adminClient().listTopics())
        if (existing.includes(topic)) return
        const configs = Object.entries(configEntries).map(([name, value]) => ({name, value}))
        await retryTransient(() =>
          adminClient().createTopics({topics: [topic], partitions, replicas: replicationFactor, configs}),
        )
        await waitForLeaders(adminClient(), topic)
        logger.info(`created topic ${topic}`, {partitions, replicationFactor, ...configEntries})
      } catch (error) {
        if (apiIdsOf(error).has('TOPIC_ALREADY_EXISTS')) return // another process created it first
        throw kafkaError(brokers, `creating topic ${topic}`, error)
      }
    },

    async endOffsets(topic) {
      return offsetsAt(topic, ListOffsetTimestamps.LATEST).catch((error) => {
        throw kafkaError(brokers, `reading the end offsets of ${topic}`, error)
      })
    },

    async committedOffsets(groupId, topic) {
      try {
        const partitions = await partitionsOf(topic)
        const groups = await retryTransient(() =>
          adminClient().listConsumerGroupOffsets({
            groups: [{groupId, topics: [{name: topic, partitionIndexes: partitions}]}],
          }),
        )
        const committed = new Map<number, bigint>(partitions.map((p) => [p, -1n]))
        for (const entry of groups[0]?.topics.find((t) => t.name === topic)?.partitions ?? [])
          committed.set(entry.partitionIndex, entry.committedOffset)
        return committed
      } catch (error) {
        throw kafkaError(brokers, `reading the committed offsets of group ${groupId}`, error)
      }
    },

    createProducer(): Promise<BusProducer> {
      return createPlatformaticProducer(connection)
    },

    createTransactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
      return createPlatformaticTransactionalProducer(connection, transactionalId)
    },

    async readLatest(topic) {
      try {
        if (!(await retryTransient(() => adminClient().listTopics())).includes(topic)) return new Map()
        const [low, high] = [
          await offsetsAt(topic, ListOffsetTimestamps.EARLIEST),
          await offsetsAt(topic, ListOffsetTimestamps.LATEST),
        ]
        const ranges: PartitionRange[] = [...high].map(([partition, end]) => ({
          partition,
          low: low.get(partition) ?? 0n,
          high: end,
        }))
        return await readLatestValues(
          readerClient(),
          topic,
          ranges.filter((r) => r.high > r.low),
        )
      } catch (error) {
        throw kafkaError(brokers, `reading ${topic}`, error)
      }
    },

    createConsumer(groupId) {
      return createPlatformaticGroupConsumer(connection, groupId, logger)
    },

    async close() {
      await Promise.all([admin?.close().catch(() => undefined), reader?.close().catch(() => undefined)])
    },
  }
}

/** kafkajs' createTopics can wait for the partitions' leaders; here etl waits (a producer could otherwise race them). */
async function waitForLeaders(admin: Admin, topic: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 1; Date.now() < deadline; attempt++) {
    const metadata = await admin.metadata({topics: [topic], forceUpdate: true}).catch(() => undefined)
    const partitions = metadata?.topics.get(topic)?.partitions
    if (partitions && partitions.length > 0 && partitions.every((p) => p.leader >= 0)) return
    await sleep(backoffDelay(attempt, {initialDelayMs: 100, maxDelayMs: 1000}))
  }
}
