/**
 * The process stage's group consumer with @platformatic/kafka. The library hands out a stream of single messages;
 * this reads whatever is buffered, splits it per partition into batches, and commits each batch's offsets only after
 * onBatch resolved (at-least-once into the sinks, as kafkajs-consumer.ts does).
 */
import {
  Consumer,
  FetchIsolationLevels,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka'
import {EtlError} from '../errors.js'
import type {Logger} from '../logger.js'
import {backoffDelay, sleep} from '../retry.js'
import type {BusConsumer, ConsumeOptions, ConsumedMessage} from './message-bus.js'
import {baseOptions, describeKafkaError, isTransient, type PlatformaticBusOptions} from './platformatic-common.js'
import {Wakeup} from './platformatic-wakeup.js'

type StreamMessage = Message<Buffer, Buffer, string, string>

// As in kafkajs-consumer.ts: a dead member's partitions wait 10 s (not 30 s) for its session to expire; heartbeats
// every 3 s keep a live one in; a rebalance waits 20 s for the members to rejoin.
const GROUP_TIMING = {sessionTimeout: 10_000, heartbeatInterval: 3000, rebalanceTimeout: 20_000}

const FETCH_MAX_BYTES = 1_048_576

const asText = (data?: Buffer) => data?.toString('utf8') ?? ''

export function createPlatformaticGroupConsumer(
  connection: PlatformaticBusOptions,
  groupId: string,
  logger: Logger,
): BusConsumer {
  let stopped = false
  let consumer: Consumer<Buffer, Buffer, string, string> | undefined
  let stream: MessagesStream<Buffer, Buffer, string, string> | undefined
  // The batch being handled and committed: stop() waits for it.
  let inFlight: Promise<void> = Promise.resolve()
  let startup: Promise<unknown> = Promise.resolve()
  const wakeup = new Wakeup()

  return {
    async run({topic, fromBeginning, onBatch, onAssignment}: ConsumeOptions) {
      if (stopped) return // stop() came first: do not join the group at all
      const c = new Consumer<Buffer, Buffer, string, string>({
        ...baseOptions(connection),
        groupId,
        ...GROUP_TIMING,
        autocommit: false,
        // Only committed records: a source's transaction that was aborted (it failed, or its process died) is skipped.
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
        maxWaitTime: 1000,
        // Small fetches: the library looks up each field of a response by walking its network chunks from the first
        // (@platformatic/dynamic-buffer), so decoding costs grow with the square of a response's size. At its default
        // (50 MB) a backlog decodes at a fraction of kafkajs' speed; at 1 MB (kafkajs' own per-partition default) it
        // does not.
        maxBytes: FETCH_MAX_BYTES,
        maxBytesPerPartition: FETCH_MAX_BYTES,
        deserializers: {headerKey: asText, headerValue: asText},
      })
      consumer = c
      let assigned = new Set<number>()
      let fatal: unknown
      const failWith = (error: unknown) => {
        fatal ??= error
        wakeup.wake()
      }

      // Emitted after JoinGroup + SyncGroup, before the stream fetches for the new generation; also after the library
      // rejoined by itself (a heartbeat or a commit said UNKNOWN_MEMBER_ID: the session expired, so a new member id).
      c.on('consumer:group:join', (payload) => {
        const partitions = [...(payload.assignments?.find((a) => a.topic === topic)?.partitions ?? [])].sort(
          (a, b) => a - b,
        )
        assigned = new Set(partitions)
        logger.debug(`joined group ${groupId}`, {memberId: payload.memberId, generationId: payload.generationId})
        try {
          onAssignment?.({partitions, memberId: payload.memberId})
        } catch (error) {
          failWith(error)
        }
      })
      c.on('consumer:group:rebalance', () => logger.debug(`group ${groupId} is rebalancing`))
      c.on('consumer:heartbeat:error', ({error}) => logger.debug(`heartbeat failed: ${describeKafkaError(error)}`))
      // A rejoin the library started by itself failed for good (its retries ran out): rejoin again while the error is
      // transient (the broker is restarting), as kafkajs restarts its consumer.
      let rejoins = 0
      c.on('error', (error: unknown) => {
        if (stopped) return
        if (!isTransient(error) || ++rejoins > 20)
          return failWith(new EtlError('ETL_KAFKA', `consumer failed: ${describeKafkaError(error)}`, {cause: error}))
        logger.warn(`consumer rejoining after: ${describeKafkaError(error)}`)
        void sleep(backoffDelay(rejoins, {initialDelayMs: 1000, maxDelayMs: 30_000}))
          .then(() => (stopped ? undefined : c.joinGroup({})))
          .then(
            () => (rejoins = 0),
            (e: unknown) => c.emit('error', e),
          )
      })

      startup = c.consume({
        topics: [topic],
        ...GROUP_TIMING,
        autocommit: false,
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: fromBeginning ? MessagesStreamFallbackModes.EARLIEST : MessagesStreamFallbackModes.LATEST,
        highWaterMark: 4096,
      })
      try {
        stream = (await startup) as MessagesStream<Buffer, Buffer, string, string>
      } catch (error) {
        await c.close(true).catch(() => undefined)
        if (stopped) return
        throw new EtlError(
          'ETL_KAFKA',
          `starting the consumer of group ${groupId} failed: ${describeKafkaError(error)}`,
          {cause: error},
        )
      }
      const s = stream
      s.on('readable', () => wakeup.wake())
      s.on('error', (error) => {
        if (!stopped)
          failWith(new EtlError('ETL_KAFKA', `consumer failed: ${describeKafkaError(error)}`, {cause: error}))
      })
      s.on('close', () => wakeup.wake())

      const key = (partition: number) => `${topic}:${partition}`
      /**
       * The group's committed offset as the stream knows it: set once the stream re-read the committed offsets after
       * the latest join, undefined before (messages then may come from a fetch of the previous generation).
       */
      const committedOf = (partition: number) => s.offsetsCommitted.get(key(partition))
      const commit = async (partition: number, offset: bigint, leaderEpoch: number) => {
        const committed = committedOf(partition)
        if (committed !== undefined && committed >= offset) return // only forwards (a marker commit must not undo a batch's)
        await c.commit({offsets: [{topic, partition, offset, leaderEpoch}]})
      }

      /** One drain of the buffer: its messages per partition, in order, each batch committed after its handler. */
      const handle = async (messages: StreamMessage[], fetched: Map<number, bigint>) => {
        const perPartition = new Map<number, StreamMessage[]>()
        for (const message of messages) {
          let list = perPartition.get(message.partition)
          if (!list) perPartition.set(message.partition, (list = []))
          list.push(message)
        }
        // Not (or no longer) this member's, or fetched before the offsets of a new generation were known: the stream
        // fetches such records again from the committed offset.
        for (const partition of perPartition.keys()) {
          if (!assigned.has(partition) || committedOf(partition) === undefined) perPartition.delete(partition)
        }
        for (const [partition, list] of perPartition) {
          if (stopped || fatal !== undefined) return
          try {
            await onBatch({topic, partition, messages: list.map(toConsumed)})
          } catch (error) {
            return failWith(error) // the batch stays uncommitted: a restart handles it again
          }
          // Up to the fetch position: everything below it was in this drain, and the rest is transaction markers or
          // aborted records (with read_committed, a transaction's records arrive together with its commit marker).
          const last = list[list.length - 1]
          const next = fetched.get(partition) ?? 0n
          await commit(partition, next > last.offset ? next : last.offset + 1n, last.leaderEpoch)
        }
        // A fetch of only transaction markers or aborted records delivers no message, but moves the fetch position
        // (everything below it was delivered): commit up to it, so a partition ending in a marker ends with committed
        // = end offset (as kafkajs-consumer.ts does).
        for (const [partition, next] of fetched) {
          if (stopped || fatal !== undefined || perPartition.has(partition) || !assigned.has(partition)) continue
          const committed = committedOf(partition)
          if (committed === undefined || next <= committed) continue
          await commit(partition, next, -1).catch((error: unknown) => {
            logger.debug(
              `committing past transaction markers of partition ${partition} failed: ${describeKafkaError(error)}`,
            )
          })
        }
      }
      const behind = (fetched: Map<number, bigint>) =>
        [...fetched].some(([partition, next]) => assigned.has(partition) && (committedOf(partition) ?? next) < next)

      try {
        while (!stopped && fatal === undefined && !s.destroyed) {
          const messages: StreamMessage[] = []
          for (let m = s.read() as StreamMessage | null; m !== null; m = s.read() as StreamMessage | null)
            messages.push(m)
          const fetched = fetchPositions(s, topic)
          if (messages.length > 0 || behind(fetched)) {
            inFlight = handle(messages, fetched)
            await inFlight
          }
          // Also wakes up now and then: a fetch of only markers makes the stream no readable event.
          if (messages.length === 0) await wakeup.wait(1000)
        }
      } catch (error) {
        failWith(
          isTransient(error)
            ? new EtlError('ETL_KAFKA', `committing offsets failed: ${describeKafkaError(error)}`, {cause: error})
            : error,
        )
      }
      if (fatal === undefined && !stopped)
        fatal = new EtlError('ETL_KAFKA', `the consumer of group ${groupId} stopped fetching (its stream closed)`)
      if (fatal !== undefined) {
        await s.close().catch(() => undefined)
        await c.close(true).catch(() => undefined)
        throw fatal
      }
    },

    async stop() {
      stopped = true
      wakeup.wake()
      await startup.catch(() => undefined)
      await inFlight.catch(() => undefined)
      await stream?.close().catch(() => undefined)
      await consumer?.close(true) // leaves the group
    },
  }
}

/** Where the stream fetches next per partition: everything below it is in the stream's buffer or was read already. */
function fetchPositions(stream: MessagesStream<Buffer, Buffer, string, string>, topic: string): Map<number, bigint> {
  const out = new Map<number, bigint>()
  const prefix = `${topic}:`
  for (const [key, offset] of stream.offsetsToFetch)
    if (key.startsWith(prefix)) out.set(Number(key.slice(prefix.length)), offset)
  return out
}

function toConsumed(message: StreamMessage): ConsumedMessage {
  const headers: Record<string, string> = {}
  if (message.headers.size > 0) for (const [key, value] of message.headers) headers[key] = value
  return {offset: message.offset.toString(), key: message.key ?? null, value: message.value ?? null, headers}
}
