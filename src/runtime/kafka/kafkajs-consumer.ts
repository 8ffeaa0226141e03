/** kafkajs consumers: the process stage's group consumer, and a one-off reader of a compacted topic's latest values. */
import {randomUUID} from 'node:crypto'
import type {Admin, Batch, Consumer, Kafka} from 'kafkajs'
import {EtlError, messageOf} from '../errors.js'
import type {Logger} from '../logger.js'
import type {BusConsumer, ConsumeOptions} from './message-bus.js'

export function createGroupConsumer(kafka: Kafka, groupId: string, logger: Logger): BusConsumer {
  let consumer: Consumer | undefined
  let stopped = false
  // connect → subscribe → run (which joins the group). stop() waits for it: disconnecting mid-join cuts kafkajs off
  // before it can leave the group, and the next run's join then waits for this member's session to expire.
  let startup: Promise<unknown> = Promise.resolve()
  // A batch the handler could not take stops the consumer at once instead of being retried by kafkajs: the batch
  // stays uncommitted, so a restart processes it again.
  let fatal: unknown
  /** The batch being handled and committed, if any; settles without throwing. */
  let inFlight: Promise<unknown> = Promise.resolve()
  return {
    async run({topic, fromBeginning, onBatch, onAssignment}: ConsumeOptions) {
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
        // Only committed records: a source's transaction that was aborted (it failed, or its process died) is skipped.
        readUncommitted: false,
      })
      consumer = c
      const commits = new PartitionCommits(c, topic, logger)
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
      // A fetch that held only transaction markers or aborted records never reaches eachBatch: kafkajs skips it. Commit
      // past it anyway, so a partition whose last offsets are such markers ends with committed = end offset (no lag
      // of 1 for ever). eachBatch's commits and these go through one queue per partition and never move backwards.
      c.on(c.events.END_BATCH_PROCESS, ({payload}) => {
        if (payload.batchSize > 0 || stopped || fatal !== undefined || payload.topic !== topic) return
        void commits.commit(payload.partition, BigInt(payload.lastOffset) + 1n).catch((error) => {
          logger.debug(
            `committing past transaction markers of partition ${payload.partition} failed: ${messageOf(error)}`,
          )
        })
      })
      // kafkajs emits GROUP_JOIN after join + sync, before it fetches for the new generation.
      c.on(c.events.GROUP_JOIN, ({payload}) => {
        commits.forget()
        const partitions = [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b)
        try {
          onAssignment?.({partitions, memberId: payload.memberId})
        } catch (error) {
          fatal ??= error
          setImmediate(() => void c.stop().catch(() => undefined))
        }
      })
      /** Hands one batch to onBatch; commits its offsets once onBatch resolved. */
      const handleBatch = async (batch: Batch, resolveOffset: (offset: string) => void) => {
        try {
          await onBatch({
            topic: batch.topic,
            partition: batch.partition,
            messages: batch.messages.map((m) => ({
              offset: m.offset,
              key: m.key,
              value: m.value,
              headers: headersOf(m.headers),
            })),
          })
        } catch (error) {
          fatal = error
          setImmediate(() => void c.stop().catch(() => undefined))
          return
        }
        resolveOffset(batch.lastOffset())
        await commits.commit(batch.partition, BigInt(batch.lastOffset()) + 1n).catch((error: unknown) => {
          throw rejoinable(error)
        })
      }
      startup = (async () => {
        await c.connect()
        await c.subscribe({topics: [topic], fromBeginning})
        await c.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: ({batch, isRunning, isStale, resolveOffset}) => {
            if (stopped || fatal !== undefined || !isRunning() || isStale() || batch.messages.length === 0)
              return Promise.resolve()
            const handled = handleBatch(batch, resolveOffset)
            inFlight = handled.catch(() => undefined)
            return handled
          },
        })
      })()
      try {
        await startup
      } catch (error) {
        if (!stopped)
          throw new EtlError('ETL_KAFKA', `starting the consumer of group ${groupId} failed: ${messageOf(error)}`, {
            cause: error,
          })
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
      // kafkajs' commitOffsets does nothing once its runner is stopping: the batch in its handler must finish and
      // commit before disconnect() begins, or it is consumed again by the next run.
      await inFlight
      await consumer?.disconnect()
    },
  }
}

/** Group errors after which kafkajs' runner rejoins the group by itself, if it sees them as they are. */
const REJOIN = new Set([
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
])

/**
 * consumer.commitOffsets wraps the broker's answer in a KafkaJSNonRetriableError, which crashes the consumer for good.
 * After a long broker outage the member's session has expired, and the first commit says UNKNOWN_MEMBER_ID: handing
 * kafkajs that inner error instead makes it rejoin the group (the uncommitted batch is then consumed again).
 */
function rejoinable(error: unknown): unknown {
  for (let e = error as {type?: string; cause?: unknown} | undefined; e; e = e.cause as typeof e) {
    if (e.type && REJOIN.has(e.type)) return e
  }
  return error
}

/** Offset commits per partition, one at a time and only forwards (a marker commit must not undo a later batch's). */
class PartitionCommits {
  private readonly queues = new Map<number, Promise<unknown>>()
  private readonly done = new Map<number, bigint>()

  constructor(
    private readonly consumer: Consumer,
    private readonly topic: string,
    private readonly logger: Logger,
  ) {}

  commit(partition: number, next: bigint): Promise<void> {
    const run = async () => {
      if ((this.done.get(partition) ?? -1n) >= next) return
      await this.consumer.commitOffsets([{topic: this.topic, partition, offset: next.toString()}])
      this.done.set(partition, next)
    }
    const queued = (this.queues.get(partition) ?? Promise.resolve()).then(run, run)
    this.queues.set(
      partition,
      queued.catch(() => undefined),
    )
    return queued
  }

  /** After a rebalance the partition may have moved and back: what this member committed before says nothing. */
  forget(): void {
    this.done.clear()
    this.logger.debug('offset commit positions reset for the new generation')
  }
}

/** Shared by every message without headers (most of them): nothing downstream modifies a message's headers. */
const NO_HEADERS: Record<string, string> = Object.freeze({})

function headersOf(headers: Record<string, unknown> | undefined): Record<string, string> {
  let any = false
  for (const key in headers) if (headers[key] !== undefined) any = true
  if (!any) return NO_HEADERS
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(headers ?? {})) if (value !== undefined) out[key] = String(value)
  return out
}

export interface ReadLatestInputs {
  kafka: Kafka
  /** Connected; used to delete the throwaway group afterwards. */
  admin: Admin
  topic: string
  /** The topic's offsets when the read started: it ends once every partition was read up to its `high`. */
  offsets: {partition: number; low: string; high: string}[]
  groupPrefix: string
  timeoutMs?: number
}

/**
 * kafkajs has no consumer without a group (no manual assignment), so a throwaway group reads the topic from the
 * beginning. It commits nothing and is deleted afterwards. On a broker with group.initial.rebalance.delay.ms at its
 * default the join alone takes about 3 s; the local broker sets it to 0.
 */
export async function readLatestValues(inputs: ReadLatestInputs): Promise<Map<string, Buffer>> {
  const {kafka, admin, topic, timeoutMs = 60_000} = inputs
  const latest = new Map<string, Buffer>()
  const unread = new Map(
    inputs.offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]),
  )
  if (unread.size === 0) return latest
  const groupId = `${inputs.groupPrefix}-reader-${randomUUID()}`
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 3000,
    maxWaitTimeInMs: 1000,
    readUncommitted: false,
  })
  let timer: NodeJS.Timeout | undefined
  try {
    await consumer.connect()
    await consumer.subscribe({topics: [topic], fromBeginning: true})
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms with ${unread.size} partition(s) not read to the end`)),
        timeoutMs,
      )
      consumer.on(consumer.events.CRASH, ({payload}) => {
        if (!payload.restart) reject(payload.error)
      })
      const reached = (partition: number, lastOffset: string) => {
        const end = unread.get(partition)
        // lastOffset() counts records kafkajs filtered out (markers, aborted records), so a partition ending in one ends.
        if (end !== undefined && BigInt(lastOffset) + 1n >= end) unread.delete(partition)
        if (unread.size === 0) resolve()
      }
      // A fetch of only markers or aborted records (a topic written in transactions can end in one) never reaches
      // eachBatch; kafkajs reports it with this event, which also follows every batch eachBatch handled.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({payload}) => reached(payload.partition, payload.lastOffset))
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({batch}) => {
            for (const message of batch.messages) {
              if (!message.key) continue
              const key = message.key.toString('utf8')
              if (message.value === null) latest.delete(key)
              else latest.set(key, message.value)
            }
            reached(batch.partition, batch.lastOffset())
          },
        })
        .catch(reject)
    })
  } finally {
    clearTimeout(timer)
    await consumer.disconnect().catch(() => undefined)
    await admin.deleteGroups([groupId]).catch(() => undefined)
  }
  return latest
}
