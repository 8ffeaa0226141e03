/**
 * The source stage's bounded buffer: emit() queues a batch and returns, one drain loop delivers queued batches in
 * order. While the broker is down the source keeps polling into the buffer; once it holds `maxRecords`, emit waits
 * (backpressure: the source slows down) or, with `whenFull: drop-oldest`, the oldest queued records are dropped,
 * counted and logged. Several queued batches go out as one delivery (one transaction), the last checkpoint among them
 * standing for all, which keeps transactions few when the source is faster than Kafka. A delivery starts one turn of
 * the event loop after the batch that woke it, so a burst of frames that arrived together goes out as one.
 */
import type {Counters} from '../counters.js'
import {messageOf} from '../errors.js'
import {trackPending} from '../lifecycle.js'
import type {Logger} from '../logger.js'
import type {BusMessage, ProducedOffsets} from '../kafka/message-bus.js'
import type {Pack} from './source-delivery.js'

export interface ProducerBufferSettings {
  maxRecords: number
  whenFull: 'block' | 'drop-oldest'
}

export const DEFAULT_PRODUCER_BUFFER: ProducerBufferSettings = {maxRecords: 10_000, whenFull: 'block'}

export interface Deliverer {
  deliver(pack: Pack, onFailure: (error: unknown, attempt: number) => void): Promise<ProducedOffsets>
}

export interface SourceBufferInputs {
  settings: ProducerBufferSettings
  delivery: Deliverer
  logger: Logger
  counters: Counters
  /** Counter scope, e.g. "source replay". */
  scope: string
  /** Called once when a delivery failed for good; nothing is delivered after it. */
  onFatal(error: unknown): void
  /** A delivery not done after this long is reported as an outage (default 5 s). */
  slowAfterMs?: number
}

interface Queued {
  messages: BusMessage[]
  checkpoint?: {value: unknown}
}

/** Log lines about a long outage or steady dropping come at most this often. */
const REPORT_EVERY_MS = 15_000
/** A delivery carries at most this many records (so one transaction stays well below Kafka's request limits). */
const MAX_PACK_RECORDS = 5000

export class SourceBuffer {
  private readonly queue: Queued[] = []
  /** Records queued, including the pack being delivered. */
  private records = 0
  /** Queue entries (from the head) that belong to the pack being delivered. */
  private inFlight = 0
  private peak = 0
  private dropped = 0
  private lastDropReport = 0
  private spaceWaiters: (() => void)[] = []
  private drainWaiters: (() => void)[] = []
  /** Whether drain() runs; set and cleared synchronously, so a push never finds a drain that has just ended. */
  private draining = false
  private outageSince: number | undefined
  private lastOutageReport = 0
  private failed: {error: unknown} | undefined
  /** Per partition, the offset after the last record delivered in this run. */
  readonly produced = new Map<number, bigint>()

  constructor(private readonly inputs: SourceBufferInputs) {}

  get size(): number {
    return this.records
  }

  get failure(): unknown {
    return this.failed?.error
  }

  /** Queues a batch; waits while the buffer is full (unless dropping). Rejects once delivery failed for good. */
  async push(messages: BusMessage[], checkpoint?: {value: unknown}): Promise<void> {
    const {maxRecords, whenFull} = this.inputs.settings
    for (;;) {
      if (this.failed) throw this.failed.error
      if (whenFull === 'drop-oldest') {
        const orphaned = this.dropFor(messages.length)
        checkpoint ??= orphaned
      }
      // A batch larger than the whole buffer is let in when the buffer is empty, or it could never be.
      if (this.records === 0 || this.records + messages.length <= maxRecords) break
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve))
    }
    this.queue.push({messages, checkpoint})
    this.records += messages.length
    this.inputs.counters.level(this.inputs.scope, 'buffer_records', this.records)
    if (this.records > this.peak) {
      this.inputs.counters.add(this.inputs.scope, 'buffer_peak', this.records - this.peak)
      this.peak = this.records
    }
    if (!this.draining) void this.drain()
  }

  /**
   * Resolves once everything queued is delivered, delivery failed for good, or `force` aborted (then what is left is
   * counted as undelivered and logged). Never waits longer than the force signal allows.
   */
  async close(force: AbortSignal): Promise<void> {
    if (this.queue.length === 0 || this.failed) return
    this.inputs.logger.info(`delivering the ${this.records} record(s) still buffered`)
    const drained = new Promise<void>((resolve) => this.drainWaiters.push(resolve))
    const forced = new Promise<void>((resolve) => {
      if (force.aborted) resolve()
      else force.addEventListener('abort', () => resolve(), {once: true})
    })
    // If the shutdown grace period runs out first, its error names what is still waiting here.
    const untrack = trackPending(() => `source buffer: ${this.records} record(s) not yet taken by Kafka`)
    await Promise.race([drained, forced]).finally(untrack)
    if (this.queue.length > 0 && !this.failed) {
      this.inputs.counters.add(this.inputs.scope, 'undelivered', this.records)
      this.inputs.logger.warn(`stopping with ${this.records} record(s) still buffered: Kafka did not take them in time`)
    }
  }

  /** Drops the oldest queued records (not those being delivered) to make room; returns a checkpoint left orphaned. */
  private dropFor(incoming: number): {value: unknown} | undefined {
    const {maxRecords} = this.inputs.settings
    let dropped = 0
    let orphaned: {value: unknown} | undefined
    while (this.records + incoming > maxRecords && this.queue.length > this.inFlight) {
      const oldest = this.queue[this.inFlight]
      const over = this.records + incoming - maxRecords
      if (oldest.messages.length > over) {
        oldest.messages = oldest.messages.slice(over)
        this.records -= over
        dropped += over
        break
      }
      this.queue.splice(this.inFlight, 1)
      this.records -= oldest.messages.length
      dropped += oldest.messages.length
      // Its checkpoint is still the best position known for what follows it, unless a later one replaces it.
      const next = this.queue[this.inFlight]
      if (next) next.checkpoint ??= oldest.checkpoint
      else orphaned = oldest.checkpoint
    }
    if (dropped === 0) return orphaned
    this.dropped += dropped
    this.inputs.counters.add(this.inputs.scope, 'dropped', dropped)
    const now = Date.now()
    if (now - this.lastDropReport >= REPORT_EVERY_MS) {
      this.lastDropReport = now
      this.inputs.logger.warn(
        `source buffer full (${this.inputs.settings.maxRecords} records): ` +
          'dropping the oldest records (whenFull: drop-oldest)',
        {droppedSoFar: this.dropped},
      )
    }
    return orphaned
  }

  private takePack(): {pack: Pack; count: number} {
    const messages: BusMessage[] = []
    let checkpoint: {value: unknown} | undefined
    let count = 0
    for (const entry of this.queue) {
      if (count > 0 && messages.length + entry.messages.length > MAX_PACK_RECORDS) break
      for (const message of entry.messages) messages.push(message)
      if (entry.checkpoint) checkpoint = entry.checkpoint
      count++
    }
    return {pack: {messages, checkpoint}, count}
  }

  /** Delivers queued packs until the queue is empty or delivery failed for good; then wakes whoever waits. */
  private async drain(): Promise<void> {
    this.draining = true
    try {
      await this.deliverQueued()
    } finally {
      this.draining = false
      if (this.lastOutageReport > 0 && this.records === 0) {
        this.inputs.logger.info('source buffer drained', {peak: this.peak})
        this.lastOutageReport = 0
      }
      this.wake()
      // A push that was waiting for space may have queued its batch after the loop saw the queue empty.
      if (this.queue.length > 0 && !this.failed) void this.drain()
      else for (const resolve of this.drainWaiters.splice(0)) resolve()
    }
  }

  private async deliverQueued(): Promise<void> {
    while (this.queue.length > 0 && !this.failed) {
      // One turn of the event loop first: frames that arrived together (an exchange's burst of trades) are all
      // handled by then and go out in this transaction instead of waiting out a transaction of the first alone.
      await new Promise<void>((resolve) => setImmediate(resolve))
      const {pack, count} = this.takePack()
      this.inFlight = count
      const started = Date.now()
      const timer = performance.now()
      const slow = setInterval(() => this.reportOutage(started), this.inputs.slowAfterMs ?? 5000)
      let offsets: ProducedOffsets
      try {
        offsets = await this.inputs.delivery.deliver(pack, (error, attempt) => this.onFailure(error, attempt, started))
      } catch (error) {
        this.failed = {error}
        this.inputs.onFatal(error)
        break
      } finally {
        clearInterval(slow)
        this.inFlight = 0
      }
      this.inputs.counters.timed(this.inputs.scope, 'delivery', (performance.now() - timer) / 1000)
      this.queue.splice(0, count)
      this.records -= pack.messages.length
      this.inputs.counters.level(this.inputs.scope, 'buffer_records', this.records)
      if (pack.messages.length > 0) this.inputs.counters.add(this.inputs.scope, 'produced', pack.messages.length)
      for (const [partition, next] of offsets)
        if (next > (this.produced.get(partition) ?? -1n)) this.produced.set(partition, next)
      if (this.outageSince !== undefined) {
        const seconds = Math.round((Date.now() - this.outageSince) / 1000)
        this.inputs.logger.info(`Kafka takes records again after ${seconds} s; delivering the buffer`, {
          buffered: this.records,
        })
        this.outageSince = undefined
      }
      this.wake()
    }
  }

  private wake(): void {
    for (const resolve of this.spaceWaiters.splice(0)) resolve()
  }

  private onFailure(error: unknown, attempt: number, started: number): void {
    if (this.outageSince === undefined) {
      this.outageSince = started
      this.lastOutageReport = Date.now()
      this.inputs.logger.warn(
        `cannot deliver to Kafka (${messageOf(error)}); buffering the source's records and retrying`,
        {buffered: this.records},
      )
    } else {
      this.inputs.logger.debug(`delivery attempt ${attempt} failed: ${messageOf(error)}`)
    }
  }

  /** Called while a delivery is slow: says so once, then every REPORT_EVERY_MS, with the buffer's size. */
  private reportOutage(started: number): void {
    const now = Date.now()
    if (this.outageSince === undefined) {
      this.outageSince = started
      this.lastOutageReport = now
      this.inputs.logger.warn(
        `Kafka has not acknowledged records for ${Math.round((now - started) / 1000)} s; ` +
          "buffering the source's records",
        {buffered: this.records},
      )
      return
    }
    if (now - this.lastOutageReport < REPORT_EVERY_MS) return
    this.lastOutageReport = now
    this.inputs.logger.warn(
      `Kafka has not taken records for ${Math.round((now - this.outageSince) / 1000)} s; source buffer growing`,
      {
        buffered: this.records,
        maxRecords: this.inputs.settings.maxRecords,
        whenFull: this.inputs.settings.whenFull,
      },
    )
  }
}
