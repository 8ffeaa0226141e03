/**
 * The consumer lag for the status line and the progress log: read from Kafka at most every few seconds, in the
 * background, one read at a time, so a slow or absent broker delays neither the line nor the pipeline. The line
 * shows the last answer; none (yet, or the broker did not answer) shows as unknown.
 */
export class LagReading {
  private value: number | undefined
  private inFlight = false
  private readAt = 0

  constructor(
    private readonly read: (() => Promise<number | undefined>) | undefined,
    private readonly everyMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The last lag read (undefined when unknown); starts a new read when the last one is older than `everyMs`. */
  latest(): number | undefined {
    if (this.read && !this.inFlight && this.now() - this.readAt >= this.everyMs) {
      this.inFlight = true
      this.readAt = this.now()
      void this.read()
        .then((lag) => (this.value = lag))
        .catch(() => (this.value = undefined))
        .finally(() => (this.inFlight = false))
    }
    return this.value
  }
}
