/** The process stage's group consumer with kafkajs: batches per partition, each committed after its handler. */
import type {
  Batch,
  Consumer,
  ConsumerCrashEvent,
  ConsumerEndBatchProcessEvent,
  ConsumerGroupJoinEvent,
  EachBatchPayload,
  Kafka,
} from 'kafkajs'
import {EtlError, messageOf} from '../../errors.js'
import type {Logger} from '../../logger.js'
import {CLUSTER_GROUP_TIMING, GROUP_TIMING} from '../core/client-settings.js'
import {PartitionCommits} from '../core/partition-commits.js'
import type {BusConsumer, ConsumedBatch, ConsumeOptions} from '../message-bus.js'
import {rejoinable} from './errors.js'
import {LeaderWatch} from './leader-watch.js'

export class KafkajsGroupConsumer implements BusConsumer {
  private consumer: Consumer | undefined
  private stopped = false
  /**
   * connect → subscribe → run (which joins the group). stop() waits for it: disconnecting mid-join cuts kafkajs off
   * before it can leave the group, and the next run's join then waits for this member's session to expire.
   */
  private startup: Promise<unknown> = Promise.resolve()
  /**
   * A batch the handler could not take stops the consumer at once instead of being retried by kafkajs: the batch
   * stays uncommitted, so a restart processes it again.
   */
  private fatal: unknown
  /** The batch being handled and committed, if any; settles without throwing. */
  private inFlight: Promise<unknown> = Promise.resolve()
  /** Ends run(): with an error when the consumer failed for good. */
  private finish: (error?: unknown) => void = () => undefined

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly logger: Logger,
    /** How many brokers the cluster has (the session timeout depends on it); 1 when unknown. */
    private readonly clusterSize: () => Promise<number> = async () => 1,
  ) {}

  async run(options: ConsumeOptions): Promise<void> {
    const brokers = await this.clusterSize().catch(() => 1)
    const c = this.createConsumer(brokers > 1 ? CLUSTER_GROUP_TIMING : GROUP_TIMING)
    this.consumer = c
    const {topic} = options
    const commits = new PartitionCommits((partition, next) =>
      c.commitOffsets([{topic, partition, offset: next.toString()}]),
    )
    const finished = new Promise<void>((resolve, reject) => {
      this.finish = (error) => (error === undefined ? resolve() : reject(error))
    })
    this.listen(c, options, commits)
    this.startup = this.start(c, options, commits)
    const watch = new LeaderWatch(this.kafka, topic, this.logger)
    try {
      await this.startup
    } catch (error) {
      if (!this.stopped)
        throw new EtlError('ETL_KAFKA', `starting the consumer of group ${this.groupId} failed: ${messageOf(error)}`, {
          cause: error,
        })
    }
    if (this.stopped) this.finish() // stop() was called while starting: it disconnects once startup settled
    watch.start()
    await finished.finally(() => watch.stop())
    if (this.fatal !== undefined) {
      await c.disconnect().catch(() => undefined)
      throw this.fatal
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.startup.catch(() => undefined)
    // kafkajs' commitOffsets does nothing once its runner is stopping: the batch in its handler must finish and
    // commit before disconnect() begins, or it is consumed again by the next run.
    await this.inFlight
    await this.consumer?.disconnect()
  }

  private createConsumer(timing: typeof GROUP_TIMING | typeof CLUSTER_GROUP_TIMING): Consumer {
    return this.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      ...timing,
      retry: {retries: 8, restartOnFailure: async () => !this.stopped},
      // stop() waits for the fetch in flight: with kafkajs' default of 5 s, a run that stops (caught up, or a finite
      // source done) would sit idle that long before it exits. 1 s, as the platformatic consumer waits.
      maxWaitTimeInMs: 1000,
      // Only committed records: a source's transaction that was aborted (it failed, or its process died) is skipped.
      readUncommitted: false,
    })
  }

  private listen(c: Consumer, {topic, onAssignment}: ConsumeOptions, commits: PartitionCommits): void {
    c.on(c.events.CRASH, (event) => this.onCrash(event))
    // kafkajs also emits STOP when it restarts the consumer by itself after a retriable crash (e.g. the broker
    // restarted): only a stop etl asked for, or a fatal batch, ends the run.
    c.on(c.events.STOP, () => {
      if (this.stopped || this.fatal !== undefined) this.finish()
    })
    c.on(c.events.END_BATCH_PROCESS, (event) => this.commitPastMarkers(event, topic, commits))
    // kafkajs emits GROUP_JOIN after join + sync, before it fetches for the new generation.
    c.on(c.events.GROUP_JOIN, ({payload}: ConsumerGroupJoinEvent) => {
      commits.forget()
      this.logger.debug('offset commit positions reset for the new generation')
      const partitions = [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b)
      try {
        onAssignment?.({partitions, memberId: payload.memberId})
      } catch (error) {
        this.stopFor(error)
      }
    })
  }

  private onCrash({payload}: ConsumerCrashEvent): void {
    // Disconnecting can cut a fetch that is in flight; that is our own stop, not a failure.
    if (this.stopped) return
    if (payload.restart) {
      this.logger.warn(`consumer restarting after: ${messageOf(payload.error)}`)
      return
    }
    this.finish(new EtlError('ETL_KAFKA', `consumer failed: ${messageOf(payload.error)}`, {cause: payload.error}))
  }

  /**
   * A fetch that held only transaction markers or aborted records never reaches eachBatch: kafkajs skips it. Commit
   * past it anyway, so a partition whose last offsets are such markers ends with committed = end offset (no lag of 1
   * for ever). eachBatch's commits and these go through one queue per partition and never move backwards.
   */
  private commitPastMarkers({payload}: ConsumerEndBatchProcessEvent, topic: string, commits: PartitionCommits): void {
    if (payload.batchSize > 0 || this.stopped || this.fatal !== undefined || payload.topic !== topic) return
    void commits.commit(payload.partition, BigInt(payload.lastOffset) + 1n).catch((error: unknown) => {
      this.logger.debug(
        `committing past transaction markers of partition ${payload.partition} failed: ${messageOf(error)}`,
      )
    })
  }

  private async start(c: Consumer, {topic, fromBeginning, onBatch}: ConsumeOptions, commits: PartitionCommits) {
    await c.connect()
    await c.subscribe({topics: [topic], fromBeginning})
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: ({batch, isRunning, isStale, resolveOffset}: EachBatchPayload) => {
        if (this.stopped || this.fatal !== undefined || !isRunning() || isStale() || batch.messages.length === 0)
          return Promise.resolve()
        const handled = this.handleBatch(batch, resolveOffset, onBatch, commits)
        this.inFlight = handled.catch(() => undefined)
        return handled
      },
    })
  }

  /** Hands one batch to onBatch; commits its offsets once onBatch resolved. */
  private async handleBatch(
    batch: Batch,
    resolveOffset: (offset: string) => void,
    onBatch: (batch: ConsumedBatch) => Promise<void>,
    commits: PartitionCommits,
  ): Promise<void> {
    try {
      await onBatch(consumedBatch(batch))
    } catch (error) {
      this.stopFor(error)
      return
    }
    resolveOffset(batch.lastOffset())
    await commits.commit(batch.partition, BigInt(batch.lastOffset()) + 1n).catch((error: unknown) => {
      throw rejoinable(error)
    })
  }

  private stopFor(error: unknown): void {
    this.fatal ??= error
    setImmediate(() => void this.consumer?.stop().catch(() => undefined))
  }
}

function consumedBatch(batch: Batch): ConsumedBatch {
  return {
    topic: batch.topic,
    partition: batch.partition,
    messages: batch.messages.map((m) => ({
      offset: m.offset,
      key: m.key,
      value: m.value,
      headers: headersOf(m.headers),
    })),
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
