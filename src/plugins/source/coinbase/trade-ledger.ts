/**
 * The last trade id passed on per product: the coinbase source's checkpoint. Passed with every emit, committed in
 * the same Kafka transaction as the trades, and handed back by restore() on the next run, so a restart (even after
 * kill -9) continues right after the last trade in the topic: older ids are repeats, newer ones past a hole are a
 * gap to back-fill.
 */

export interface LedgerCheckpoint {
  v: 1
  /** Product id → last trade id emitted. */
  last: Record<string, number>
}

/** What to do with an incoming trade id. */
export type Verdict =
  {kind: 'first'} | {kind: 'next'} | {kind: 'repeat'} | {kind: 'gap'; after: number; missing: number}

export class TradeLedger {
  private readonly last = new Map<string, number>()

  constructor(private readonly products: readonly string[]) {}

  lastOf(product: string): number | undefined {
    return this.last.get(product)
  }

  /** Where `tradeId` stands against what was passed on for `product`. */
  judge(product: string, tradeId: number): Verdict {
    const last = this.last.get(product)
    if (last === undefined) return {kind: 'first'}
    if (tradeId <= last) return {kind: 'repeat'}
    if (tradeId === last + 1) return {kind: 'next'}
    return {kind: 'gap', after: last, missing: tradeId - last - 1}
  }

  /** Records that trades up to `tradeId` were passed on (never moves backwards). */
  advance(product: string, tradeId: number): void {
    if (tradeId > (this.last.get(product) ?? -Infinity)) this.last.set(product, tradeId)
  }

  checkpoint(): LedgerCheckpoint {
    return {v: 1, last: Object.fromEntries(this.last)}
  }

  /** Takes a checkpoint back (products no longer configured are dropped); returns why it cannot, or undefined. */
  restore(state: unknown): string | undefined {
    const c = state as Partial<LedgerCheckpoint> | null
    if (typeof c !== 'object' || c === null || c.v !== 1 || typeof c.last !== 'object' || c.last === null)
      return 'it is not a coinbase checkpoint'
    for (const product of this.products) {
      const id = (c.last as Record<string, unknown>)[product]
      if (Number.isSafeInteger(id) && (id as number) > 0) this.advance(product, id as number)
    }
    return undefined
  }
}
