/**
 * Records per second over the last few seconds, per series, for a gauge a dashboard can show without PromQL's rate()
 * (and for `etl top` later). Totals are sampled once a second on an unref'd timer, so the cost does not grow with the
 * record rate and does not depend on how often, or by how many scrapers, the endpoint is read.
 */

export const RATE_WINDOW_SECONDS = 10

interface Sample {
  at: number
  totals: Map<string, number>
}

export class RateWindow {
  private readonly samples: Sample[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly totals: () => Map<string, number>,
    private readonly now: () => number = Date.now,
  ) {}

  start(everyMs = 1000): void {
    this.sample()
    this.timer = setInterval(() => this.sample(), everyMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** Takes a sample of the totals; keeps the ones the window needs. */
  sample(): void {
    const at = this.now()
    this.samples.push({at, totals: new Map(this.totals())})
    while (this.samples.length > 2 && at - this.samples[1].at >= RATE_WINDOW_SECONDS * 1000) this.samples.shift()
  }

  /** Per series, the increase per second between the oldest kept sample and now; empty until time has passed. */
  rates(): Map<string, number> {
    const rates = new Map<string, number>()
    const oldest = this.samples[0]
    if (!oldest) return rates
    const seconds = (this.now() - oldest.at) / 1000
    if (seconds <= 0) return rates
    for (const [key, total] of this.totals()) rates.set(key, (total - (oldest.totals.get(key) ?? 0)) / seconds)
    return rates
  }
}
