/** The kafkajs implementation of MessageBus; with kafkajs-consumer.ts, the only code in etl that imports kafkajs. */
import {Kafka, logLevel as KafkaLogLevel, type LogEntry} from 'kafkajs'
import {EtlError, messageOf} from '../errors.js'
import type {Logger} from '../logger.js'
import {backoffDelay, sleep} from '../retry.js'
import {reportKafkajsBuild} from './kafkajs-build.js'
import {createGroupConsumer, readLatestValues} from './kafkajs-consumer.js'
import {createIdempotentProducer, createKafkajsTransactionalProducer} from './kafkajs-producers.js'
import type {BusProducer, MessageBus, TopicSpec, TransactionalProducer} from './message-bus.js'

// Errors kafkajs logs at ERROR while it retries on its own; they only matter if the retries run out, and then the
// failing call rejects and etl reports it. At start-up a fresh broker says these for a second or two, and every member
// of a group hears "rebalancing" when another process stage joins or leaves it. A transaction begun right after the
// previous one committed hears "concurrent operation" until the coordinator has written the previous one's markers.
const TRANSIENT =
  /coordinator is loading|coordinator is not available|not the correct coordinator|does not host this topic-partition|no leader for this topic-partition|leader not available|rebalance in progress|group is rebalancing|not coordinator|another concurrent operation on the same transaction/i

// Said at WARN by kafkajs but expected: a transactional producer gives up after a few retries on purpose (a failed
// transaction is aborted and retried whole), and a producer fenced by its successor reports what it just learned.
const EXPECTED = /limiting retries for the idempotent producer/i

function logCreatorFor(logger: Logger) {
  return () =>
    ({level, log}: LogEntry) => {
      const {message, error, ...rest} = log as {message: string; error?: string; [key: string]: unknown}
      const text = error ? `${message}: ${error}` : message
      const fields = {broker: rest.broker as string | undefined, groupId: rest.groupId as string | undefined}
      if (EXPECTED.test(text)) logger.debug(text, fields)
      else if (level <= KafkaLogLevel.ERROR && !TRANSIENT.test(text)) logger.warn(text, fields)
      else if (level <= KafkaLogLevel.WARN && !TRANSIENT.test(text)) logger.info(text, fields)
      else logger.debug(text, fields)
    }
}

/**
 * kafkajs retries its consumer and producer calls itself, but not every admin call: on a broker that just started,
 * OffsetFetch answers "not the correct coordinator" for a moment. Retry such answers here.
 */
async function retryTransient<T>(call: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      const retriable = (error as {retriable?: boolean}).retriable === true || TRANSIENT.test(messageOf(error))
      if (!retriable || attempt >= attempts) throw error
      await sleep(backoffDelay(attempt, {initialDelayMs: 200, maxDelayMs: 3000}))
    }
  }
}

export interface KafkajsBusOptions {
  brokers: string[]
  clientId: string
  logger: Logger
}

export function createKafkajsBus(options: KafkajsBusOptions): MessageBus {
  const logger = options.logger
  reportKafkajsBuild(logger)
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: process.env.ETL_LOG_LEVEL === 'debug' ? KafkaLogLevel.DEBUG : KafkaLogLevel.WARN,
    logCreator: logCreatorFor(logger),
    connectionTimeout: 3000,
    // Survives a broker restart of about a minute before a call gives up (retries grow to 30 s apart).
    retry: {initialRetryTime: 300, maxRetryTime: 30_000, retries: 8},
  })
  const admin = kafka.admin()
  let adminConnected: Promise<void> | undefined
  const connectAdmin = () => (adminConnected ??= admin.connect())
  const producerInputs = {kafka, brokers: options.brokers, admin: async () => (await connectAdmin(), admin)}

  const kafkaError = (what: string, error: unknown) =>
    new EtlError('ETL_KAFKA', `${what} failed at ${options.brokers.join(',')}: ${messageOf(error)}`, {cause: error})

  return {
    async checkConnection(timeoutMs = 10_000) {
      const probe = new Kafka({
        clientId: options.clientId,
        brokers: options.brokers,
        logLevel: KafkaLogLevel.NOTHING,
        connectionTimeout: Math.min(timeoutMs, 3000),
        retry: {retries: 2, initialRetryTime: 200, maxRetryTime: 1000},
      }).admin()
      try {
        await probe.connect()
        await probe.describeCluster()
      } catch (error) {
        throw new EtlError(
          'ETL_KAFKA_UNREACHABLE',
          `no Kafka broker answered at ${options.brokers.join(',')} (${messageOf(error)}). Start one with \`etl kafka start\`, or set kafka.brokers / KAFKA_BROKERS`,
          {cause: error},
        )
      } finally {
        await probe.disconnect().catch(() => undefined)
      }
    },

    async ensureTopic({topic, partitions, replicationFactor, configEntries = {}}: TopicSpec) {
      try {
        await connectAdmin()
        const existing = await retryTransient(() => admin.listTopics())
        if (existing.includes(topic)) return
        const entries = Object.entries(configEntries).map(([name, value]) => ({name, value}))
        await retryTransient(() =>
          admin.createTopics({
            topics: [{topic, numPartitions: partitions, replicationFactor, configEntries: entries}],
            waitForLeaders: true,
          }),
        )
        logger.info(`created topic ${topic}`, {partitions, replicationFactor, ...configEntries})
      } catch (error) {
        if (/already exists/i.test(messageOf(error))) return // another process created it first
        throw kafkaError(`creating topic ${topic}`, error)
      }
    },

    async endOffsets(topic) {
      await connectAdmin()
      const offsets = await retryTransient(() => admin.fetchTopicOffsets(topic)).catch((error) => {
        throw kafkaError(`reading the end offsets of ${topic}`, error)
      })
      return new Map(offsets.map((entry) => [entry.partition, BigInt(entry.high)]))
    },

    async committedOffsets(groupId, topic) {
      await connectAdmin()
      const [entry] = await retryTransient(() => admin.fetchOffsets({groupId, topics: [topic]})).catch((error) => {
        throw kafkaError(`reading the committed offsets of group ${groupId}`, error)
      })
      return new Map((entry?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]))
    },

    createProducer(): Promise<BusProducer> {
      return createIdempotentProducer(producerInputs)
    },

    createTransactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
      return createKafkajsTransactionalProducer(producerInputs, transactionalId)
    },

    async readLatest(topic) {
      try {
        await connectAdmin()
        if (!(await retryTransient(() => admin.listTopics())).includes(topic)) return new Map()
        const offsets = await retryTransient(() => admin.fetchTopicOffsets(topic))
        return await readLatestValues({kafka, admin, topic, offsets, groupPrefix: options.clientId})
      } catch (error) {
        throw kafkaError(`reading ${topic}`, error)
      }
    },

    createConsumer(groupId) {
      return createGroupConsumer(kafka, groupId, logger)
    },

    async close() {
      if (adminConnected) await admin.disconnect().catch(() => undefined)
    },
  }
}
