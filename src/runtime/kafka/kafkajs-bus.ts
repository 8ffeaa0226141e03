/** The kafkajs implementation of MessageBus: the one file in etl that imports kafkajs. */
import {Kafka, Partitioners, logLevel as KafkaLogLevel, type Consumer, type LogEntry} from 'kafkajs'
import {EtlError, messageOf} from '../errors.js'
import type {Logger} from '../logger.js'
import {backoffDelay, sleep} from '../retry.js'
import type {BusConsumer, BusProducer, ConsumeOptions, MessageBus, TopicSpec} from './message-bus.js'

// Errors kafkajs logs at ERROR while it retries on its own; they only matter if the retries run out, and then the
// failing call rejects and etl reports it. At start-up a fresh broker says these for a second or two.
const TRANSIENT = /coordinator is loading|coordinator is not available|not the correct coordinator|does not host this topic-partition|no leader for this topic-partition|leader not available|rebalance in progress|not coordinator/i

function logCreatorFor(logger: Logger) {
  return () =>
    ({level, log}: LogEntry) => {
      const {message, error, ...rest} = log as {message: string; error?: string; [key: string]: unknown}
      const text = error ? `${message}: ${error}` : message
      const fields = {broker: rest.broker as string | undefined, groupId: rest.groupId as string | undefined}
      if (level <= KafkaLogLevel.ERROR && !TRANSIENT.test(text)) logger.warn(text, fields)
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

    async ensureTopic({topic, partitions, replicationFactor}: TopicSpec) {
      try {
        await connectAdmin()
        const existing = await retryTransient(() => admin.listTopics())
        if (existing.includes(topic)) return
        await retryTransient(() =>
          admin.createTopics({topics: [{topic, numPartitions: partitions, replicationFactor}], waitForLeaders: true}),
        )
        logger.info(`created topic ${topic}`, {partitions, replicationFactor})
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

    async createProducer(): Promise<BusProducer> {
      // Idempotence needs unlimited retries (kafkajs warns otherwise); a send then waits out a broker restart instead
      // of failing, which is the source's backpressure.
      const producer = kafka.producer({
        idempotent: true,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: {initialRetryTime: 300, maxRetryTime: 30_000, retries: Number.MAX_SAFE_INTEGER},
      })
      try {
        await producer.connect()
      } catch (error) {
        throw kafkaError('connecting the producer', error)
      }
      return {
        async send(topic, messages) {
          if (messages.length === 0) return
          try {
            await producer.send({topic, acks: -1, messages})
          } catch (error) {
            throw kafkaError(`producing ${messages.length} record(s) to ${topic}`, error)
          }
        },
        disconnect: () => producer.disconnect(),
      }
    },

    createConsumer(groupId) {
      return createConsumer(kafka, groupId, logger)
    },

    async close() {
      if (adminConnected) await admin.disconnect().catch(() => undefined)
    },
  }
}

function createConsumer(kafka: Kafka, groupId: string, logger: Logger): BusConsumer {
  let consumer: Consumer | undefined
  let stopped = false
  // connect → subscribe → run (which joins the group). stop() waits for it: disconnecting mid-join cuts kafkajs off
  // before it can leave the group, and the next run's join then waits for this member's session to expire.
  let startup: Promise<unknown> = Promise.resolve()
  // A batch the handler could not take stops the consumer at once instead of being retried by kafkajs: the batch
  // stays uncommitted, so a restart processes it again.
  let fatal: unknown
  return {
    async run({topic, fromBeginning, onBatch}: ConsumeOptions) {
      const c = kafka.consumer({
        groupId,
        allowAutoTopicCreation: false,
        // A member that died without leaving holds its partitions until its session expires: 10 s instead of
        // kafkajs' 30 s gets a restarted pipeline going sooner (heartbeats every 3 s keep a live one in).
        sessionTimeout: 10_000,
        heartbeatInterval: 3000,
        // How long a rebalance waits for members to rejoin; batches here take milliseconds, so 20 s is ample and a
        // member that vanished mid-rebalance delays the others by at most that.
        rebalanceTimeout: 20_000,
        retry: {retries: 8, restartOnFailure: async () => !stopped},
      })
      consumer = c
      let finish!: (error?: unknown) => void
      const finished = new Promise<void>((resolve, reject) => {
        finish = (error) => (error === undefined ? resolve() : reject(error))
      })
      c.on(c.events.CRASH, ({payload}) => {
        // Disconnecting can cut a fetch that is in flight; that is our own stop, not a failure.
        if (stopped) return
        if (payload.restart) {
          logger.warn(`consumer restarting after: ${messageOf(payload.error)}`)
          return
        }
        finish(new EtlError('ETL_KAFKA', `consumer failed: ${messageOf(payload.error)}`, {cause: payload.error}))
      })
      // kafkajs also emits STOP when it restarts the consumer by itself after a retriable crash (e.g. the broker
      // restarted): only a stop etl asked for, or a fatal batch, ends the run.
      c.on(c.events.STOP, () => {
        if (stopped || fatal !== undefined) finish()
      })
      startup = (async () => {
        await c.connect()
        await c.subscribe({topics: [topic], fromBeginning})
        await c.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({batch, isRunning, isStale, resolveOffset}) => {
            if (fatal !== undefined || !isRunning() || isStale() || batch.messages.length === 0) return
            try {
              await onBatch({
                topic: batch.topic,
                partition: batch.partition,
                messages: batch.messages.map((m) => ({offset: m.offset, key: m.key, value: m.value, headers: headersOf(m.headers)})),
              })
            } catch (error) {
              fatal = error
              setImmediate(() => void c.stop().catch(() => undefined))
              return
            }
            resolveOffset(batch.lastOffset())
            const next = (BigInt(batch.lastOffset()) + 1n).toString()
            await c.commitOffsets([{topic: batch.topic, partition: batch.partition, offset: next}])
          },
        })
      })()
      try {
        await startup
      } catch (error) {
        if (!stopped) throw new EtlError('ETL_KAFKA', `starting the consumer of group ${groupId} failed: ${messageOf(error)}`, {cause: error})
      }
      if (stopped) finish() // stop() was called while starting: it disconnects once startup settled
      await finished
      if (fatal !== undefined) {
        await c.disconnect().catch(() => undefined)
        throw fatal
      }
    },
    async stop() {
      stopped = true
      await startup.catch(() => undefined)
      await consumer?.disconnect()
    },
  }
}

function headersOf(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(headers ?? {})) if (value !== undefined) out[key] = String(value)
  return out
}
