/**
 * Named counts per stage plugin (records produced, rejected, retried, skipped…). Nothing a plugin drops may vanish
 * silently: it counts it here, and the totals are printed when the run ends.
 */
export class Counters {
  private readonly totals = new Map<string, number>()

  add(scope: string, event: string, amount = 1): void {
    const key = `${scope}\u0000${event}`
    this.totals.set(key, (this.totals.get(key) ?? 0) + amount)
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
}
