/**
 * The figures of the status line and the progress log: records in (consumed, or produced when only the source stage
 * runs here), written to sinks, dead-lettered, when the last record came, and per-second rates between two readings.
 * Kept by counting what the stages report to Counters, so it costs an addition per count and nothing per record.
 */
import type {CountersObserver} from '../counters.js'

export interface ProgressFigures {
  /** Records in per second since the previous reading (consumed; produced when nothing is consumed here). */
  recordsPerSecond: number
  writtenPerSecond: number
  produced: number
  consumed: number
  written: number
  deadLettered: number
  /** Unix time in ms of the last record in; undefined before the first. */
  lastRecordAt?: number
}

export class ProgressTally implements CountersObserver {
  private produced = 0
  private consumed = 0
  private written = 0
  private deadLettered = 0
  private lastRecordAt: number | undefined
  private previous: {at: number; records: number; written: number} | undefined

  constructor(private readonly now: () => number = Date.now) {}

  counted(scope: string, event: string, amount: number): void {
    if (event === 'produced' && scope.startsWith('source ')) this.produced += amount
    else if (event === 'consumed' && scope === 'process') this.consumed += amount
    else if (event === 'written' && scope.startsWith('sink ')) this.written += amount
    else if (event === 'dead_lettered') this.deadLettered += amount
    else return
    if (event === 'produced' || event === 'consumed') this.lastRecordAt = this.now()
  }

  /** The figures now; rates are over the time since the previous call (0 on the first). */
  read(): ProgressFigures {
    const at = this.now()
    const records = this.consumed > 0 ? this.consumed : this.produced
    const seconds = this.previous ? (at - this.previous.at) / 1000 : 0
    const rate = (now: number, before: number) => (seconds > 0 ? (now - before) / seconds : 0)
    const figures: ProgressFigures = {
      recordsPerSecond: rate(records, this.previous?.records ?? records),
      writtenPerSecond: rate(this.written, this.previous?.written ?? this.written),
      produced: this.produced,
      consumed: this.consumed,
      written: this.written,
      deadLettered: this.deadLettered,
      lastRecordAt: this.lastRecordAt,
    }
    this.previous = {at, records, written: this.written}
    return figures
  }
}
