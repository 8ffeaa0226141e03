/**
 * Minimum and maximum of the values in a trailing time window [t − width, t], amortised O(1) per value with two
 * monotonic deques: a value that is not above a later one can never again be the window's maximum (the later one
 * outlives it), so it is dropped at once; likewise for the minimum. Times must not go backwards: callers check.
 */
interface Entry {
  time: number
  value: number
}

class MonotonicDeque {
  private entries: Entry[] = []
  private head = 0

  /** `outranks(older, newer)`: true when the older value can still be the extreme while the newer one is present. */
  constructor(private readonly outranks: (older: number, newer: number) => boolean) {}

  push(entry: Entry): void {
    while (
      this.entries.length > this.head &&
      !this.outranks(this.entries[this.entries.length - 1].value, entry.value)
    ) {
      this.entries.pop()
    }
    this.entries.push(entry)
  }

  evictBefore(cutoff: number): void {
    while (this.head < this.entries.length && this.entries[this.head].time < cutoff) this.head++
    // Dropping the consumed prefix now and then keeps shift() (O(n)) off the hot path and the array bounded.
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head)
      this.head = 0
    }
  }

  get front(): Entry | undefined {
    return this.head < this.entries.length ? this.entries[this.head] : undefined
  }

  get length(): number {
    return this.entries.length - this.head
  }
}

export class TimeWindowExtremes {
  private readonly maxima = new MonotonicDeque((older, newer) => older > newer)
  private readonly minima = new MonotonicDeque((older, newer) => older < newer)
  private latest = -Infinity

  /** `width` in the unit of the times pushed (milliseconds in practice); a value exactly `width` old still counts. */
  constructor(readonly width: number) {}

  /** The newest time pushed, -Infinity before the first. */
  get latestTime(): number {
    return this.latest
  }

  /** Adds a value at `time` (≥ every earlier time) and forgets values older than time − width. */
  push(time: number, value: number): void {
    if (time < this.latest) throw new RangeError(`time went backwards: ${time} < ${this.latest}`)
    this.latest = time
    const entry = {time, value}
    this.maxima.push(entry)
    this.minima.push(entry)
    this.maxima.evictBefore(time - this.width)
    this.minima.evictBefore(time - this.width)
  }

  /** Smallest value in the window (undefined before the first push), with its time. */
  get min(): Entry | undefined {
    return this.minima.front
  }

  get max(): Entry | undefined {
    return this.maxima.front
  }

  /** Entries held (for tests: stays small however long the run). */
  get held(): number {
    return this.maxima.length + this.minima.length
  }
}
