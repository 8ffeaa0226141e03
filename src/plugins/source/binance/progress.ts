/**
 * The last position the binance source emitted per pair (trade id, agg id, kline open time or ticker event time,
 * depending on the stream). It is the source's checkpoint: passed with every emit, so it commits in the same Kafka
 * transaction as the records, and handed back by restore() on the next run. Dedupe and gap back-fill start from it,
 * so a restart (even after kill -9) neither repeats a trade in the topic nor loses one REST still has.
 */
export interface BinanceCheckpoint {
  /** The stream the positions belong to: positions of another stream mean nothing. */
  stream: string
  /** Pair (BTCUSDT) → last emitted position. */
  last: Record<string, number>
}

export class Progress {
  private readonly last = new Map<string, number>()

  constructor(private readonly stream: string) {}

  get(pair: string): number | undefined {
    return this.last.get(pair)
  }

  /** Whether `position` of pair was emitted already (it is not past the last one). */
  seen(pair: string, position: number): boolean {
    return position <= (this.last.get(pair) ?? -Infinity)
  }

  advance(pair: string, position: number): void {
    if (!this.seen(pair, position)) this.last.set(pair, position)
  }

  /** A snapshot (the emit keeps it while the records wait in the buffer, so it must not change afterwards). */
  checkpoint(): BinanceCheckpoint {
    return {stream: this.stream, last: Object.fromEntries(this.last)}
  }

  /** Takes a checkpoint back; returns why it cannot, or undefined once restored. */
  restore(state: unknown, pairs: readonly string[]): string | undefined {
    const {stream, last} = (state ?? {}) as Partial<BinanceCheckpoint>
    if (typeof stream !== 'string' || !last || typeof last !== 'object') return 'it is not a binance checkpoint'
    if (stream !== this.stream) return `it holds positions of the ${stream} stream, not of ${this.stream}`
    for (const pair of pairs) {
      const value = (last as Record<string, unknown>)[pair]
      if (Number.isSafeInteger(value)) this.advance(pair, value as number)
    }
    return undefined
  }
}
