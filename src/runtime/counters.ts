/**
 * Named counts per stage plugin (records produced, rejected, retried, skipped…). Nothing a plugin drops may vanish
 * silently: it counts it here, and the totals are printed when the run ends. Observers (the metrics endpoint,
 * src/runtime/metrics/) hear of every count as it is made, so what they export adds up to the printed summary
 * exactly; durations and levels (a buffer's fill) go only to observers, since a summary of them would mean nothing.
 */

/** Extra labels of one count, e.g. the error code of dead letters; the summary adds them up, observers keep them. */
export type CountDetail = Readonly<Record<string, string>>

/** Hears of counts, durations and levels as the stages report them; must be cheap and must not throw. */
export interface CountersObserver {
  counted(scope: string, event: string, amount: number, detail?: CountDetail): void
  /** How long one `event` (a batch, a flush, a render) of `scope` took. */
  timed?(scope: string, event: string, seconds: number): void
  /** Many durations of one `event` of `scope` at once (the latency of each record a sink wrote). */
  timedEach?(scope: string, event: string, seconds: readonly number[]): void
  /** The current value of something that goes up and down (records in a buffer). */
  level?(scope: string, event: string, value: number): void
}

export class Counters {
  private readonly totals = new Map<string, number>()
  private readonly observers: CountersObserver[] = []

  add(scope: string, event: string, amount = 1, detail?: CountDetail): void {
    const key = `${scope}\u0000${event}`
    this.totals.set(key, (this.totals.get(key) ?? 0) + amount)
    for (const observer of this.observers) observer.counted(scope, event, amount, detail)
  }

  get(scope: string, event: string): number {
    return this.totals.get(`${scope}\u0000${event}`) ?? 0
  }

  /** Rows of scope, event, count in insertion order. */
  entries(): {scope: string; event: string; count: number}[] {
    return [...this.totals].map(([key, count]) => {
      const [scope, event] = key.split('\u0000')
      return {scope, event, count}
    })
  }

  /** Reports every later count to `observer` (counts made before are in entries()). */
  observe(observer: CountersObserver): void {
    this.observers.push(observer)
  }

  /** A duration, for observers only (not in the summary). */
  timed(scope: string, event: string, seconds: number): void {
    for (const observer of this.observers) observer.timed?.(scope, event, seconds)
  }

  /** Durations, for observers only: callers skip measuring them when nobody observes. */
  timedEach(scope: string, event: string, seconds: readonly number[]): void {
    for (const observer of this.observers) observer.timedEach?.(scope, event, seconds)
  }

  /** Whether anything hears of durations and levels; measuring them can be skipped when not. */
  get observed(): boolean {
    return this.observers.length > 0
  }

  /** A level, for observers only (not in the summary). */
  level(scope: string, event: string, value: number): void {
    for (const observer of this.observers) observer.level?.(scope, event, value)
  }
}
