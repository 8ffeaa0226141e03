/**
 * One series' rows as parallel typed arrays (struct of arrays): 8 numbers per row and no object per row, so 200k rows
 * of history cost ~13 MB and no garbage collection work. Rows live in [start, end); dropping old rows only moves
 * `start`, and the arrays are compacted when the dead prefix outgrows the live part (amortised O(1) per row).
 */
import type {ChartRow} from './chart-rows.js'

const INITIAL_CAPACITY = 1024
const COLUMN_NAMES = ['t', 'value', 'ma', 'open', 'high', 'low', 'close', 'volume'] as const
/** The running sum of the moving average is recomputed this often, so float rounding cannot drift over months. */
const RESUM_EVERY = 4096

export class SeriesColumns {
  t = new Float64Array(INITIAL_CAPACITY)
  value = new Float64Array(INITIAL_CAPACITY)
  ma = new Float64Array(INITIAL_CAPACITY)
  open = new Float64Array(INITIAL_CAPACITY)
  high = new Float64Array(INITIAL_CAPACITY)
  low = new Float64Array(INITIAL_CAPACITY)
  close = new Float64Array(INITIAL_CAPACITY)
  volume = new Float64Array(INITIAL_CAPACITY)
  start = 0
  end = 0
  /** Rows ever appended (replacements excluded): gives each row a stable sequence number for OHLC bucket edges. */
  appended = 0

  // The moving average keeps its own last-N values, so it stays right when `points` is smaller than N.
  private readonly recent: Float64Array
  private recentCount = 0
  private recentNext = 0
  private sum = 0
  private sinceResum = 0

  constructor(
    readonly name: string,
    readonly movingAverage: number,
    /** Most rows held: enforced on every push, so one huge batch cannot grow the arrays past it. */
    readonly maxRows: number,
  ) {
    this.recent = new Float64Array(Math.max(1, movingAverage))
  }

  get length(): number {
    return this.end - this.start
  }

  /**
   * Appends a row, or replaces the last one when it has the same time (a poller that saw no new trade repeats the
   * timestamp). Returns false, keeping nothing, for a row older than the last one.
   */
  push(t: number, value: number, open: number, high: number, low: number, close: number, volume: number): boolean {
    let i = this.end
    if (this.end > this.start) {
      const last = this.t[this.end - 1]
      if (t < last) return false
      if (t === last) {
        i = this.end - 1
        this.replaceRecent(value)
      } else {
        this.pushRecent(value)
      }
    } else {
      this.pushRecent(value)
    }
    if (i === this.end) {
      if (this.end === this.t.length) this.makeRoom()
      i = this.end++
      this.appended++
      if (this.end - this.start > this.maxRows) this.start++
    }
    this.t[i] = t
    this.value[i] = value
    this.ma[i] = this.movingAverage > 0 && this.recentCount >= this.movingAverage ? this.sum / this.movingAverage : NaN
    this.open[i] = open
    this.high[i] = high
    this.low[i] = low
    this.close[i] = close
    this.volume[i] = volume
    return true
  }

  /** Drops rows older than `oldest`. */
  dropBefore(oldest: number): void {
    while (this.start < this.end && this.t[this.start] < oldest) this.start++
  }

  row(i: number): ChartRow {
    const ma = this.ma[i]
    return {
      t: this.t[i],
      series: this.name,
      value: this.value[i],
      ma: Number.isNaN(ma) ? null : ma,
      open: this.open[i],
      high: this.high[i],
      low: this.low[i],
      close: this.close[i],
      volume: this.volume[i],
    }
  }

  private pushRecent(value: number): void {
    const n = this.movingAverage
    if (n <= 0) return
    if (this.recentCount === n) this.sum -= this.recent[this.recentNext]
    else this.recentCount++
    this.recent[this.recentNext] = value
    this.recentNext = (this.recentNext + 1) % n
    this.sum += value
    if (++this.sinceResum >= RESUM_EVERY) this.resum()
  }

  private replaceRecent(value: number): void {
    const n = this.movingAverage
    if (n <= 0) return
    const last = (this.recentNext + n - 1) % n
    this.sum += value - this.recent[last]
    this.recent[last] = value
  }

  private resum(): void {
    let sum = 0
    for (let k = 0; k < this.recentCount; k++) sum += this.recent[k]
    this.sum = sum
    this.sinceResum = 0
  }

  /** Reclaims the dropped prefix when it is at least half the arrays, else doubles them. */
  private makeRoom(): void {
    const live = this.end - this.start
    const capacity = this.start >= this.t.length / 2 ? this.t.length : this.t.length * 2
    for (const name of COLUMN_NAMES) {
      const old = this[name]
      if (capacity === old.length) {
        old.copyWithin(0, this.start, this.end)
      } else {
        const next = new Float64Array(capacity)
        next.set(old.subarray(this.start, this.end))
        this[name] = next
      }
    }
    this.start = 0
    this.end = live
  }
}
