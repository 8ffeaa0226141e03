/**
 * Sum over the last `capacity` values. The window is a ring buffer so eviction subtracts exactly the value that was
 * added, and the total is a compensated sum, so after millions of add/subtract pairs it still equals a fresh sum of
 * the window (a plain running sum would keep the rounding residue of every price that ever passed through).
 */
import {CompensatedSum} from '../../../sdk/index.js'
import {RingBuffer} from './ring-buffer.js'

export class RollingSum {
  readonly window: RingBuffer
  private readonly total = new CompensatedSum()

  constructor(capacity: number) {
    this.window = new RingBuffer(capacity)
  }

  /** Adds a value; when the window was full, removes the oldest from the sum and returns it. */
  push(value: number): number | undefined {
    const evicted = this.window.push(value)
    this.total.add(value)
    if (evicted !== undefined) this.total.subtract(evicted)
    return evicted
  }

  get sum(): number {
    return this.total.value
  }

  get size(): number {
    return this.window.size
  }

  get full(): boolean {
    return this.window.full
  }
}
