/**
 * Fixed-capacity FIFO of numbers for trailing windows ("the last n prices"). Pushing into a full buffer evicts the
 * oldest value and returns it, so a running sum can subtract exactly the value it once added. Float64Array storage
 * keeps one window per key compact when a stream carries many keys.
 */
export class RingBuffer {
  private readonly values: Float64Array
  private start = 0
  private count = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring buffer capacity must be a positive integer, got ${capacity}`)
    }
    this.values = new Float64Array(capacity)
  }

  get size(): number {
    return this.count
  }

  get full(): boolean {
    return this.count === this.capacity
  }

  /** Appends a value; when the buffer is full, evicts the oldest value and returns it. */
  push(value: number): number | undefined {
    if (this.count < this.capacity) {
      this.values[(this.start + this.count) % this.capacity] = value
      this.count++
      return undefined
    }
    const evicted = this.values[this.start]
    this.values[this.start] = value
    this.start = (this.start + 1) % this.capacity
    return evicted
  }

  /** The value at `index`, oldest first (0 = oldest, -1 = newest, as Array.at); undefined when out of range. */
  at(index: number): number | undefined {
    const i = index < 0 ? this.count + index : index
    if (!Number.isInteger(i) || i < 0 || i >= this.count) return undefined
    return this.values[(this.start + i) % this.capacity]
  }

  /**
   * Visits the values oldest first; a plain callback because this runs per record on hot paths (no iterator
   * objects).
   */
  forEach(visit: (value: number) => void): void {
    const firstRun = Math.min(this.count, this.capacity - this.start)
    for (let i = 0; i < firstRun; i++) visit(this.values[this.start + i])
    for (let i = 0; i < this.count - firstRun; i++) visit(this.values[i])
  }

  toArray(): number[] {
    const out: number[] = []
    this.forEach((value) => out.push(value))
    return out
  }
}
