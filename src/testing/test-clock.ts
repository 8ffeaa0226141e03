/**
 * A clock a test drives: context.clock.now() reads it and context.clock.sleep() waits on it. `auto` (the default for
 * sources) runs virtual time: every sleep moves the clock forward at once, so a source that polls every minute
 * polls ten times in milliseconds. Without auto, sleeps wait until advance() passes their deadline.
 */
import type {Clock} from '../runtime/plugin-types.js'

export interface TestClockOptions {
  /** Start time: epoch milliseconds or an ISO 8601 string (default: 2026-01-01T00:00:00Z). */
  start?: number | string
  /** Sleeps advance the clock by themselves (virtual time) instead of waiting for advance(). */
  auto?: boolean
}

interface Sleeper {
  until: number
  resolve: () => void
}

export class TestClock implements Clock {
  private time: number
  private readonly auto: boolean
  private sleepers: Sleeper[] = []

  constructor(options: TestClockOptions = {}) {
    const start = options.start ?? '2026-01-01T00:00:00.000Z'
    this.time = typeof start === 'number' ? start : Date.parse(start)
    if (!Number.isFinite(this.time)) throw new TypeError(`TestClock: unreadable start time ${JSON.stringify(start)}`)
    this.auto = options.auto ?? false
  }

  now(): number {
    return this.time
  }

  /** The clock's time as an ISO 8601 string. */
  iso(): string {
    return new Date(this.time).toISOString()
  }

  /** Sleeps in progress (not yet woken). */
  get sleeping(): number {
    return this.sleepers.length
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || ms <= 0) return Promise.resolve()
    if (this.auto) {
      this.time += ms
      // A macrotask, so that a loop of sleeps still lets I/O and timers of the test run in between.
      return new Promise((resolve) => setImmediate(resolve))
    }
    return new Promise((resolve) => {
      const sleeper: Sleeper = {until: this.time + ms, resolve: () => finish()}
      const finish = () => {
        signal?.removeEventListener('abort', finish)
        this.sleepers = this.sleepers.filter((s) => s !== sleeper)
        resolve()
      }
      signal?.addEventListener('abort', finish, {once: true})
      this.sleepers.push(sleeper)
    })
  }

  /** Moves the clock forward by `ms` and wakes every sleep whose deadline it passed, earliest first. */
  async advance(ms: number): Promise<void> {
    this.time += ms
    const due = this.sleepers.filter((s) => s.until <= this.time).sort((a, b) => a.until - b.until)
    for (const sleeper of due) sleeper.resolve()
    // Let the woken code run up to its next await before the test looks.
    await new Promise((resolve) => setImmediate(resolve))
  }
}
