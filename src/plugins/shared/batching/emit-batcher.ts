/**
 * Collects records a streaming source receives one message at a time and emits them in batches: every emit is a
 * Kafka transaction (with the checkpoint), far too costly per trade, while a batch held too long delays candles.
 * So a batch goes out when it is `maxRecords` long or `maxDelayMs` old, whichever comes first, plus at stop.
 *
 * Emits run one after another in the order records were added, and the checkpoint is read when a batch is taken,
 * right after its last record was added: so each checkpoint describes exactly the records emitted up to it.
 */
import type {EtlRecord, SourceEmitter} from '../../../sdk/index.js'

export interface EmitBatcherOptions {
  emit: SourceEmitter
  /** The source's position after every record added so far; undefined: emit without checkpoint. */
  checkpoint?: () => unknown
  maxRecords: number
  maxDelayMs: number
}

export class EmitBatcher {
  private pending: EtlRecord[] = []
  private oldestAt = 0
  private chain: Promise<void> = Promise.resolve()
  private timer?: NodeJS.Timeout
  /** An emit started by the timer that failed: thrown to the next add() or stop(), which the source awaits. */
  private failure?: {error: unknown}

  constructor(private readonly options: EmitBatcherOptions) {}

  /** Starts the age check that flushes a batch nobody adds to any more (a quiet feed). */
  start(): void {
    const every = Math.max(5, Math.floor(this.options.maxDelayMs / 2))
    this.timer = setInterval(() => {
      if (this.isDue()) this.flush().catch((error: unknown) => (this.failure ??= {error}))
    }, every)
    this.timer.unref()
  }

  /** Adds records; resolves once a batch that became due was handed to emit (backpressure reaches the caller). */
  async add(records: EtlRecord[]): Promise<void> {
    if (this.failure) throw this.failure.error
    if (records.length === 0) return
    if (this.pending.length === 0) this.oldestAt = Date.now()
    this.pending.push(...records)
    if (this.isDue()) await this.flush()
  }

  /** Emits what is pending (after the emits already under way); rejects when emit does. */
  flush(): Promise<void> {
    if (this.pending.length === 0) return this.chain
    const batch = this.pending
    const checkpoint = this.options.checkpoint?.()
    this.pending = []
    const run = this.chain.then(() => this.options.emit(batch, checkpoint))
    this.chain = run.catch(() => undefined) // the caller of this flush sees the error; later flushes still run
    return run
  }

  /** Stops the timer and emits what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
    if (this.failure) throw this.failure.error
  }

  private isDue(): boolean {
    const {maxRecords, maxDelayMs} = this.options
    return this.pending.length > 0 && (this.pending.length >= maxRecords || Date.now() - this.oldestAt >= maxDelayMs)
  }
}
