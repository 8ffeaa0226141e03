/**
 * Event-time windows over a stream of batches. Every decision (which windows a record joins, whether it is late,
 * when a window closes) depends only on the records of its key in arrival order, never on where batches begin or
 * end, so the same input gives the same windows however Kafka happens to batch it.
 */
import {
  type EtlRecord,
  eventTime,
  finiteNumber,
  formatDuration,
  groupKey,
  isoTime as iso,
  type PluginContext,
} from '../../../sdk/index.js'
import {accumulate, newAccumulator, writeResults, type AggregateSpec, type WindowAccumulator} from './aggregates.js'
import {holdsOpen, latestStart, type WindowSpec} from './window-spec.js'
import {restoreState, snapshotState, type EngineState, type KeyState, type WindowSnapshot} from './window-state.js'

export interface WindowEngineOptions {
  /** Field holding the event time: ISO 8601 text or epoch milliseconds. */
  time: string
  key: readonly string[]
  spec: WindowSpec
  aggregates: readonly AggregateSpec[]
  emit: 'final' | 'update'
  late: 'dead-letter' | 'drop'
}

export type EngineHooks = Pick<PluginContext, 'reject' | 'count'>

/** Date's range; a window end beyond it could not be written as ISO 8601. */
const MAX_TIME = 8.64e15

function describeValue(record: EtlRecord, field: string): string {
  const raw = record[field]
  if (raw === undefined) return 'missing'
  return typeof raw === 'number' ? String(raw) : JSON.stringify(raw)
}

interface Ready {
  key: KeyState
  start: number
  acc: WindowAccumulator
}

export class WindowEngine {
  private state: EngineState = new Map()
  /** Keys whose watermark moved (or that were restored) since the last emit: only they can have windows to close. */
  private touched = new Set<KeyState>()
  /** update mode: windows that took a record in the current batch, by key. */
  private changed = new Map<KeyState, Set<number>>()
  /** A window that holds no record yet, copied for each new window (a copy is cheaper than building one). */
  private readonly emptyWindow: WindowAccumulator
  /** accept()'s aggregate inputs, reused: they are folded into the record's windows before the next record is read. */
  private readonly values: number[]

  constructor(
    private readonly options: WindowEngineOptions,
    private readonly hooks: EngineHooks,
  ) {
    this.emptyWindow = newAccumulator(options.aggregates)
    this.values = options.aggregates.map(() => Number.NaN)
  }

  process(records: readonly EtlRecord[]): EtlRecord[] {
    for (const record of records) this.accept(record)
    return this.emit()
  }

  /** Windows still open, for logs. */
  get openWindows(): number {
    let count = 0
    for (const key of this.state.values()) count += key.windows.size
    return count
  }

  snapshot(): WindowSnapshot {
    return snapshotState(this.state, this.options)
  }

  /**
   * Replaces the state with a snapshot's (throws SnapshotMismatch, leaving the state alone, if it cannot be used).
   * Restored keys are re-examined at the next batch, so windows a shorter lateness has closed meanwhile go out then.
   */
  restore(snapshot: unknown): void {
    this.state = restoreState(snapshot, this.options)
    this.touched = new Set(this.state.values())
    this.changed.clear()
  }

  private watermark(key: KeyState): number {
    return key.maxTime - this.options.spec.lateness
  }

  private accept(record: EtlRecord): void {
    const {time: timeField, spec, aggregates} = this.options
    const time = eventTime(record, timeField)
    if (time === undefined || time - spec.size < -MAX_TIME || time + spec.size > MAX_TIME) {
      this.hooks.reject(
        record,
        'ETL_RECORD_INVALID',
        `field "${timeField}" is ${describeValue(record, timeField)}, not an ISO 8601 time or epoch milliseconds`,
      )
      return
    }
    const values = this.values
    // Created only for a bad record: this runs once per record, and most records are fine.
    let bad: Set<string> | undefined
    for (let i = 0; i < aggregates.length; i++) {
      const field = aggregates[i].field
      const value = field === undefined ? 0 : finiteNumber(record, field)
      if (value === undefined) (bad ??= new Set()).add(field!)
      values[i] = value ?? Number.NaN
    }
    if (bad) {
      const problems = [...bad].map((field) => `field "${field}" is ${describeValue(record, field)}`)
      this.hooks.reject(
        record,
        'ETL_VALUE_NOT_FINITE',
        `${problems.join(', ')}: not a finite number, so it joins no window`,
      )
      return
    }

    const id = groupKey(record, this.options.key)
    let key = this.state.get(id)
    if (key && latestStart(time, spec) + spec.size <= this.watermark(key)) {
      this.late(record, time, key)
      return
    }
    if (!key) {
      const fields = Object.fromEntries(this.options.key.map((field) => [field, record[field] ?? null]))
      key = {id, fields, maxTime: Number.NEGATIVE_INFINITY, windows: new Map()}
      this.state.set(id, key)
    }
    // Only windows still open take the record: in a sliding window a record can be late for its earliest windows
    // and on time for the latest, and a window that closed must never change after it was emitted.
    // (openWindowStarts' loop without its array: this runs for every record.)
    const watermark = this.watermark(key)
    for (let start = latestStart(time, spec); holdsOpen(start, time, spec, watermark); start -= spec.slide) {
      let acc = key.windows.get(start)
      if (!acc) key.windows.set(start, (acc = this.emptyWindow.slice()))
      accumulate(acc, aggregates, values, time)
      if (this.options.emit === 'update') {
        const changed = this.changed.get(key) ?? new Set<number>()
        this.changed.set(key, changed.add(start))
      }
    }
    if (time > key.maxTime) key.maxTime = time
    this.touched.add(key)
  }

  private late(record: EtlRecord, time: number, key: KeyState): void {
    if (this.options.late === 'drop') {
      this.hooks.count('late_dropped')
      return
    }
    const {spec} = this.options
    const start = latestStart(time, spec)
    const keyText = JSON.stringify(key.fields)
    this.hooks.reject(
      record,
      'ETL_RECORD_LATE',
      `event time ${iso(time)} is late for key ${keyText}: ` +
        `its latest window [${iso(start)}, ${iso(start + spec.size)}) ` +
        `closed when the watermark reached ${iso(this.watermark(key))} (latest event time ${iso(key.maxTime)} − ` +
        `lateness ${formatDuration(spec.lateness)})`,
    )
  }

  /** The batch's output: closed windows (final) or changed ones (update), by window end and then key. */
  private emit(): EtlRecord[] {
    const {spec, emit} = this.options
    const ready: Ready[] = []
    for (const [key, starts] of this.changed) {
      for (const start of starts) ready.push({key, start, acc: key.windows.get(start)!})
    }
    for (const key of this.touched) {
      const watermark = this.watermark(key)
      for (const [start, acc] of key.windows) {
        if (start + spec.size > watermark) continue
        if (emit === 'final') ready.push({key, start, acc})
        key.windows.delete(start)
      }
    }
    this.touched.clear()
    this.changed.clear()
    // Same size for every window, so ordering by start is ordering by end.
    ready.sort((a, b) => a.start - b.start || (a.key.id < b.key.id ? -1 : a.key.id > b.key.id ? 1 : 0))
    return ready.map((window) => this.output(window))
  }

  private output({key, start, acc}: Ready): EtlRecord {
    const record: EtlRecord = {...key.fields, window_start: iso(start), window_end: iso(start + this.options.spec.size)}
    writeResults(acc, this.options.aggregates, record)
    return record
  }
}
