/**
 * The process stage's group consumer with @platformatic/kafka. The library hands out a stream of single messages;
 * this reads whatever is buffered, splits it per partition into batches, and commits each batch's offsets only after
 * onBatch resolved (at-least-once into the sinks, as the kafkajs consumer does).
 */
import {
  Consumer,
  FetchIsolationLevels,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  type ConsumerGroupJoinPayload,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka'
import {EtlError} from '../../errors.js'
import type {Logger} from '../../logger.js'
import {backoffDelay, sleep} from '../../retry.js'
import type {KafkaConnection} from '../core/bus-options.js'
import {GROUP_TIMING} from '../core/client-settings.js'
import type {BusConsumer, ConsumedMessage, ConsumeOptions} from '../message-bus.js'
import {baseOptions, FETCH_MAX_BYTES} from './client-options.js'
import {describeKafkaError, isTransient} from './errors.js'
import {Wakeup} from './wakeup.js'

type StreamMessage = Message<Buffer, Buffer, string, string>
type Stream = MessagesStream<Buffer, Buffer, string, string>
type GroupClient = Consumer<Buffer, Buffer, string, string>
/** Where the stream fetches next, per partition: everything below it is in the stream's buffer or was read already. */
type FetchPositions = Map<number, bigint>

/** How often the library's failed rejoin is tried again before the consumer fails for good. */
const MAX_REJOINS = 20

const asText = (data?: Buffer) => data?.toString('utf8') ?? ''

export class PlatformaticGroupConsumer implements BusConsumer {
  private stopped = false
  private consumer: GroupClient | undefined
  private stream: Stream | undefined
  /** The drain being handled and committed: stop() waits for it. */
  private inFlight: Promise<void> = Promise.resolve()
  private startup: Promise<unknown> = Promise.resolve()
  private readonly wakeup = new Wakeup()
  /** The partitions of the consumed topic this member owns in the current generation. */
  private assigned = new Set<number>()
  /** Ends the run: a handler that failed, or a consumer that failed for good. */
  private fatal: unknown
  private rejoins = 0

  constructor(
    private readonly connection: KafkaConnection,
    private readonly groupId: string,
    private readonly logger: Logger,
  ) {}

  async run(options: ConsumeOptions): Promise<void> {
    if (this.stopped) return // stop() came first: do not join the group at all
    const c = this.createConsumer()
    this.consumer = c
    this.listen(c, options)
    const stream = await this.startStream(c, options)
    if (!stream) return
    this.stream = stream
    await this.consumeUntilDone(c, stream, options)
    if (this.fatal === undefined && !this.stopped)
      this.fatal = new EtlError(
        'ETL_KAFKA',
        `the consumer of group ${this.groupId} stopped fetching (its stream closed)`,
      )
    if (this.fatal !== undefined) {
      await stream.close().catch(() => undefined)
      await c.close(true).catch(() => undefined)
      throw this.fatal
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.wakeup.wake()
    await this.startup.catch(() => undefined)
    await this.inFlight.catch(() => undefined)
    await this.stream?.close().catch(() => undefined)
    await this.consumer?.close(true) // leaves the group
  }

  private createConsumer(): GroupClient {
    return new Consumer<Buffer, Buffer, string, string>({
      ...baseOptions(this.connection),
      groupId: this.groupId,
      ...GROUP_TIMING,
      autocommit: false,
      // Only committed records: a source's transaction that was aborted (it failed, or its process died) is skipped.
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: 1000,
      maxBytes: FETCH_MAX_BYTES,
      maxBytesPerPartition: FETCH_MAX_BYTES,
      deserializers: {headerKey: asText, headerValue: asText},
    })
  }

  private get done(): boolean {
    return this.stopped || this.fatal !== undefined
  }

  private failWith(error: unknown): void {
    this.fatal ??= error
    this.wakeup.wake()
  }

  private listen(c: GroupClient, {topic, onAssignment}: ConsumeOptions): void {
    // Emitted after JoinGroup + SyncGroup, before the stream fetches for the new generation; also after the library
    // rejoined by itself (a heartbeat or a commit said UNKNOWN_MEMBER_ID: the session expired, so a new member id).
    c.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => {
      const partitions = [...(payload.assignments?.find((a) => a.topic === topic)?.partitions ?? [])].sort(
        (a, b) => a - b,
      )
      this.assigned = new Set(partitions)
      this.logger.debug(`joined group ${this.groupId}`, {
        memberId: payload.memberId,
        generationId: payload.generationId,
      })
      try {
        onAssignment?.({partitions, memberId: payload.memberId})
      } catch (error) {
        this.failWith(error)
      }
    })
    c.on('consumer:group:rebalance', () => this.logger.debug(`group ${this.groupId} is rebalancing`))
    c.on('consumer:heartbeat:error', ({error}) => this.logger.debug(`heartbeat failed: ${describeKafkaError(error)}`))
    c.on('error', (error: unknown) => this.rejoinAfter(c, error))
  }

  /**
   * A rejoin the library started by itself failed for good (its retries ran out): rejoin again while the error is
   * transient (the broker is restarting), as kafkajs restarts its consumer.
   */
  private rejoinAfter(c: GroupClient, error: unknown): void {
    if (this.stopped) return
    if (!isTransient(error) || ++this.rejoins > MAX_REJOINS)
      return this.failWith(new EtlError('ETL_KAFKA', `consumer failed: ${describeKafkaError(error)}`, {cause: error}))
    this.logger.warn(`consumer rejoining after: ${describeKafkaError(error)}`)
    void sleep(backoffDelay(this.rejoins, {initialDelayMs: 1000, maxDelayMs: 30_000}))
      .then(() => (this.stopped ? undefined : c.joinGroup({})))
      .then(
        () => (this.rejoins = 0),
        (e: unknown) => c.emit('error', e),
      )
  }

  /** Joins the group and opens the message stream; undefined when stop() came meanwhile. */
  private async startStream(c: GroupClient, {topic, fromBeginning}: ConsumeOptions): Promise<Stream | undefined> {
    this.startup = c.consume({
      topics: [topic],
      ...GROUP_TIMING,
      autocommit: false,
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: fromBeginning ? MessagesStreamFallbackModes.EARLIEST : MessagesStreamFallbackModes.LATEST,
      highWaterMark: 4096,
    })
    let stream: Stream
    try {
      stream = (await this.startup) as Stream
    } catch (error) {
      await c.close(true).catch(() => undefined)
      if (this.stopped) return undefined
      const message = `starting the consumer of group ${this.groupId} failed: ${describeKafkaError(error)}`
      throw new EtlError('ETL_KAFKA', message, {cause: error})
    }
    stream.on('readable', () => this.wakeup.wake())
    stream.on('error', (error) => {
      if (!this.stopped)
        this.failWith(new EtlError('ETL_KAFKA', `consumer failed: ${describeKafkaError(error)}`, {cause: error}))
    })
    stream.on('close', () => this.wakeup.wake())
    return stream
  }

  /** Drains the stream's buffer whenever it has something, until stop(), a failure or the stream's end. */
  private async consumeUntilDone(c: GroupClient, stream: Stream, options: ConsumeOptions): Promise<void> {
    const drains = new StreamDrains(c, stream, options, this.logger, () => this.assigned)
    try {
      while (!this.done && !stream.destroyed) {
        const messages = drainBuffer(stream)
        const fetched = fetchPositions(stream, options.topic)
        if (messages.length > 0 || drains.behind(fetched)) {
          this.inFlight = drains.handle(messages, fetched, {
            done: () => this.done,
            fail: (error) => this.failWith(error),
          })
          await this.inFlight
        }
        // Also wakes up now and then: a fetch of only markers makes the stream no readable event.
        if (messages.length === 0) await this.wakeup.wait(1000)
      }
    } catch (error) {
      this.failWith(
        isTransient(error)
          ? new EtlError('ETL_KAFKA', `committing offsets failed: ${describeKafkaError(error)}`, {cause: error})
          : error,
      )
    }
  }
}

/** What a drain asks of the consumer running it. */
interface DrainControl {
  /** stop() was called, or the run failed: handle no further batch. */
  done(): boolean
  /** Ends the run with this error (a handler's failure: its batch stays uncommitted, so a restart handles it again). */
  fail(error: unknown): void
}

/** Handling of the stream's buffered messages: batches per partition, each committed after its handler resolved. */
class StreamDrains {
  constructor(
    private readonly consumer: GroupClient,
    private readonly stream: Stream,
    private readonly options: ConsumeOptions,
    private readonly logger: Logger,
    private readonly assigned: () => ReadonlySet<number>,
  ) {}

  /** Whether an owned partition's fetch position is past its committed offset (a fetch of only markers moved it). */
  behind(fetched: FetchPositions): boolean {
    const assigned = this.assigned()
    return [...fetched].some(
      ([partition, next]) => assigned.has(partition) && (this.committedOf(partition) ?? next) < next,
    )
  }

  /** One drain of the buffer: its messages per partition, in order, each batch committed after its handler. */
  async handle(messages: StreamMessage[], fetched: FetchPositions, control: DrainControl): Promise<void> {
    const perPartition = this.perPartition(messages)
    for (const [partition, list] of perPartition) {
      if (control.done()) return
      try {
        await this.options.onBatch({topic: this.options.topic, partition, messages: list.map(toConsumed)})
      } catch (error) {
        return control.fail(error)
      }
      // Up to the fetch position: everything below it was in this drain, and the rest is transaction markers or
      // aborted records (with read_committed, a transaction's records arrive together with its commit marker).
      const last = list[list.length - 1]
      const next = fetched.get(partition) ?? 0n
      await this.commit(partition, next > last.offset ? next : last.offset + 1n, last.leaderEpoch)
    }
    await this.commitPastMarkers(fetched, perPartition, control)
  }

  /**
   * The group's committed offset as the stream knows it: set once the stream re-read the committed offsets after the
   * latest join, undefined before (messages then may come from a fetch of the previous generation).
   */
  private committedOf(partition: number): bigint | undefined {
    return this.stream.offsetsCommitted.get(`${this.options.topic}:${partition}`)
  }

  /**
   * The drain's messages per partition, without those of partitions this member does not (or no longer) own, or
   * fetched before the offsets of a new generation were known: the stream fetches those again from the committed
   * offset.
   */
  private perPartition(messages: StreamMessage[]): Map<number, StreamMessage[]> {
    const assigned = this.assigned()
    const perPartition = new Map<number, StreamMessage[]>()
    for (const message of messages) {
      if (!assigned.has(message.partition) || this.committedOf(message.partition) === undefined) continue
      let list = perPartition.get(message.partition)
      if (!list) perPartition.set(message.partition, (list = []))
      list.push(message)
    }
    return perPartition
  }

  /** Only forwards: a commit past markers must not undo a batch's. */
  private async commit(partition: number, offset: bigint, leaderEpoch: number): Promise<void> {
    const committed = this.committedOf(partition)
    if (committed !== undefined && committed >= offset) return
    await this.consumer.commit({offsets: [{topic: this.options.topic, partition, offset, leaderEpoch}]})
  }

  /**
   * A fetch of only transaction markers or aborted records delivers no message, but moves the fetch position
   * (everything below it was delivered): commit up to it, so a partition ending in a marker ends with committed = end
   * offset (as the kafkajs consumer does).
   */
  private async commitPastMarkers(
    fetched: FetchPositions,
    handled: Map<number, StreamMessage[]>,
    control: DrainControl,
  ): Promise<void> {
    const assigned = this.assigned()
    for (const [partition, next] of fetched) {
      if (control.done() || handled.has(partition) || !assigned.has(partition)) continue
      const committed = this.committedOf(partition)
      if (committed === undefined || next <= committed) continue
      await this.commit(partition, next, -1).catch((error: unknown) => {
        this.logger.debug(
          `committing past transaction markers of partition ${partition} failed: ${describeKafkaError(error)}`,
        )
      })
    }
  }
}

function drainBuffer(stream: Stream): StreamMessage[] {
  const messages: StreamMessage[] = []
  for (let m = stream.read() as StreamMessage | null; m !== null; m = stream.read() as StreamMessage | null)
    messages.push(m)
  return messages
}

function fetchPositions(stream: Stream, topic: string): FetchPositions {
  const out: FetchPositions = new Map()
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
