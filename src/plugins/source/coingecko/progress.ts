/**
 * The newest event time the coingecko source has emitted per coin/currency. It is the source's checkpoint: passed
 * with every emit, committed in the same Kafka transaction as the records, and handed back by restore() on the next
 * run — so a restart (even after kill -9) skips history it already backfilled and prices it already emitted, and
 * repeats nothing that is in the topic.
 */
export interface ProgressCheckpoint {
  /** `<coin id>/<vs currency>` → newest emitted event time, epoch ms. */
  latest: Record<string, number>
}

export class Progress {
  private readonly latest = new Map<string, number>()

  get(key: string): number | undefined {
    return this.latest.get(key)
  }

  /** Records that everything up to `ms` was emitted for key (never moves backwards). */
  advance(key: string, ms: number): void {
    if (ms > (this.latest.get(key) ?? -Infinity)) this.latest.set(key, ms)
  }

  checkpoint(): ProgressCheckpoint {
    return {latest: Object.fromEntries(this.latest)}
  }

  /** Takes a checkpoint back; returns why it cannot, or undefined once restored. */
  restore(state: unknown): string | undefined {
    const latest = (state as Partial<ProgressCheckpoint> | undefined)?.latest
    if (!latest || typeof latest !== 'object' || Array.isArray(latest)) return 'it is not a coingecko checkpoint'
    for (const [key, value] of Object.entries(latest))
      if (typeof value === 'number' && Number.isFinite(value)) this.advance(key, value)
    return undefined
  }
}
