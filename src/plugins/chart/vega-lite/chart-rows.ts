/**
 * The chart's data window: records normalised once, when they arrive, into per-series column arrays. Rendering then
 * reads numbers straight from typed arrays, so its cost follows the number of points drawn (≈ the chart's width), not
 * the length of the history, and memory stays bounded by `points` per series and the time `window`.
 */
import {stableLttbIndices} from './lttb.js'
import {ohlcBuckets} from './ohlc-buckets.js'
import {SeriesColumns} from './series-columns.js'

export interface FieldMap {
  time: string
  value: string
  series: string
  open: string
  high: string
  low: string
  close: string
  volume: string
}

export interface ChartRowsOptions {
  fields: FieldMap
  /** Series name for records without a series field. */
  defaultSeries: string
  /** Draw only these series (others are left out on purpose, not counted as skipped); absent = all. */
  onlySeries?: ReadonlySet<string>
  /** Keep rows whose time ≥ latest time − windowMs (across all series). */
  windowMs?: number
  /** Most rows kept per series; older ones are dropped first. */
  points: number
  /** Trailing moving average length in rows; 0 turns it off. */
  movingAverage: number
}

/** The row shape the shipped specs consume (data set "rows"). */
export interface ChartRow {
  t: number
  series: string
  value: number
  ma: number | null
  open: number
  high: number
  low: number
  close: number
  volume: number
}

export type Downsample = 'lttb' | 'ohlc' | 'none'

export interface AddResult {
  added: number
  /** Rows without a usable time or value. */
  skipped: number
  /** Rows older than the series' latest row (charts draw time in order; such rows are dropped). */
  outOfOrder: number
}

// Strings such as "2011-08-18 12:35:00" carry no zone; CSV exports mean UTC, while Date.parse would read local time.
const NAIVE_DATE_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/
const NUMERIC = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/
/** Unix times below this are seconds (it is the year 5138 in seconds, but 1973 in milliseconds). */
const SECONDS_LIMIT = 1e11

/** Epoch milliseconds of a time cell, or NaN. See the plugin's `fields.time` description for the accepted forms. */
export function parseTime(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return NaN
    return Math.abs(value) < SECONDS_LIMIT ? value * 1000 : value
  }
  if (value instanceof Date) return value.getTime()
  if (typeof value !== 'string') return NaN
  const text = value.trim()
  if (text === '') return NaN
  if (NUMERIC.test(text)) return parseTime(Number(text))
  if (NAIVE_DATE_TIME.test(text)) return Date.parse(`${text.replace(' ', 'T')}Z`)
  return Date.parse(text)
}

/** A finite number from a number or numeric string, else NaN (empty cells are missing, not zero). */
export function parseNumber(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : NaN
  if (typeof value === 'string') {
    const text = value.trim()
    return NUMERIC.test(text) ? Number(text) : NaN
  }
  return NaN
}

export class ChartRows {
  private readonly series = new Map<string, SeriesColumns>()
  private latest = -Infinity

  constructor(private readonly options: ChartRowsOptions) {}

  /** Rows that entered the window during the current add(), when someone follows them (see follow()). */
  private entered: ChartRow[] | undefined
  private listener: ((rows: ChartRow[]) => void) | undefined

  /** Calls `listener` after every add() with the rows that entered the window, in order; undefined stops it. */
  follow(listener: ((rows: ChartRow[]) => void) | undefined): void {
    this.listener = listener
  }

  /** Normalises and appends records. Never throws for bad data: bad rows are reported in the result. */
  add(records: readonly Record<string, unknown>[]): AddResult {
    if (!this.listener) return this.addRows(records)
    this.entered = []
    try {
      return this.addRows(records)
    } finally {
      const entered = this.entered
      this.entered = undefined
      if (entered.length > 0) this.listener(entered)
    }
  }

  private addRows(records: readonly Record<string, unknown>[]): AddResult {
    const {fields, defaultSeries} = this.options
    const result: AddResult = {added: 0, skipped: 0, outOfOrder: 0}
    const only = this.options.onlySeries
    for (const record of records) {
      if (only) {
        const raw = record[fields.series]
        if (!only.has(raw === undefined || raw === null || raw === '' ? defaultSeries : String(raw))) continue
      }
      const t = parseTime(record[fields.time])
      const value = parseNumber(record[fields.value])
      if (Number.isNaN(t) || Number.isNaN(value)) {
        result.skipped++
        continue
      }
      const rawSeries = record[fields.series]
      const name = rawSeries === undefined || rawSeries === null || rawSeries === '' ? defaultSeries : String(rawSeries)
      let columns = this.series.get(name)
      if (!columns) {
        columns = new SeriesColumns(name, this.options.movingAverage, this.options.points)
        this.series.set(name, columns)
      }
      // A candle's missing parts fall back to the value: a plain price stream still draws (flat) candles.
      const close = orElse(parseNumber(record[fields.close]), value)
      const open = orElse(parseNumber(record[fields.open]), close)
      const high = orElse(parseNumber(record[fields.high]), Math.max(open, close))
      const low = orElse(parseNumber(record[fields.low]), Math.min(open, close))
      const volume = orElse(parseNumber(record[fields.volume]), 0)
      if (!columns.push(t, value, open, high, low, close, volume)) {
        result.outOfOrder++
        continue
      }
      result.added++
      this.entered?.push(columns.row(columns.end - 1))
      if (t > this.latest) this.latest = t
    }
    this.evict()
    return result
  }

  private evict(): void {
    const {windowMs} = this.options
    if (windowMs === undefined) return
    const oldest = this.latest - windowMs
    for (const [name, columns] of this.series) {
      columns.dropBefore(oldest)
      if (columns.length === 0) this.series.delete(name)
    }
  }

  reset(): void {
    this.series.clear()
    this.latest = -Infinity
  }

  /** Rows held, all series together. */
  get size(): number {
    let total = 0
    for (const columns of this.series.values()) total += columns.length
    return total
  }

  seriesList(): SeriesColumns[] {
    return [...this.series.values()]
  }

  /**
   * Rows to draw: each series reduced to at most `maxPoints` (LTTB on the value, or merged candles). Bucket edges are
   * anchored to row numbers, so consecutive calls return mostly the same rows (see stableLttbIndices).
   */
  rows(mode: Downsample, maxPoints: number): ChartRow[] {
    const rows: ChartRow[] = []
    for (const columns of this.series.values()) {
      const {start, end} = columns
      if (mode === 'ohlc') {
        for (const c of ohlcBuckets(columns, start, end, maxPoints, columns.appended - columns.length)) {
          rows.push({
            t: c.t,
            series: columns.name,
            value: c.value,
            ma: nullIfNaN(c.ma),
            open: c.open,
            high: c.high,
            low: c.low,
            close: c.close,
            volume: c.volume,
          })
        }
        continue
      }
      const phase = columns.appended - columns.length
      const indices =
        mode === 'lttb' ? stableLttbIndices(columns.t, columns.value, start, end, maxPoints, phase) : undefined
      const count = indices ? indices.length : end - start
      for (let k = 0; k < count; k++) rows.push(columns.row(indices ? indices[k] : start + k))
    }
    return rows
  }
}

const orElse = (value: number, fallback: number) => (Number.isNaN(value) ? fallback : value)
const nullIfNaN = (value: number) => (Number.isNaN(value) ? null : value)
