/**
 * One ordered feed of rows for the live dashboard (a chart's rows, or the alerts): every row gets the next position
 * (1, 2, 3, …) and the newest `capacity` rows are kept. Positions follow the order rows entered, which for a CSV is
 * its line order, so a server restarted on the same file numbers the same rows the same way: a page that reconnects
 * with the position it last saw gets exactly the rows after it — no gap, no duplicate.
 */
export type Row = Record<string, unknown>

/** What a page that has seen up to `position` needs next. */
export type Catchup = {kind: 'rows'; rows: Row[]} | {kind: 'reset'; rows: Row[]}

export class RowFeed {
  private readonly rows: Row[] = []
  /** Position of the newest row; a reset takes a position of its own, so a page that missed one is told. */
  private total = 0

  constructor(private readonly capacity: number) {}

  /** Position of the newest row or reset (0 before the first). */
  get latest(): number {
    return this.total
  }

  /** Position of rows[0]. */
  private get first(): number {
    return this.total - this.rows.length + 1
  }

  get size(): number {
    return this.rows.length
  }

  append(rows: readonly Row[]): void {
    for (const row of rows) this.rows.push(row)
    this.total += rows.length
    const excess = this.rows.length - this.capacity
    // Splice in large steps: dropping one row at a time from the front of a 10k array on every append is O(n²).
    if (excess > 0) this.rows.splice(0, Math.min(this.rows.length, Math.max(excess, Math.ceil(this.capacity / 8))))
  }

  /** Forgets the rows (the data file was truncated or replaced); positions go on from where they were. */
  reset(): void {
    this.rows.length = 0
    this.total++
  }

  /**
   * What comes after `position`: the rows since then, or every row kept when rows after it were already dropped
   * (the page was away too long) — then the page replaces what it holds. A position ahead of the feed (a server that
   * restarted and has not read its files yet) waits: no rows until the feed catches up.
   */
  after(position: number): Catchup {
    if (position < this.first - 1) return {kind: 'reset', rows: this.rows.slice()}
    const from = Math.max(0, position - this.first + 1)
    return {kind: 'rows', rows: from >= this.rows.length ? [] : this.rows.slice(from)}
  }

  all(): Row[] {
    return this.rows.slice()
  }

  /** Every row kept whose `field` is at least `from` (rows are in time order per key, nearly so overall). */
  since(field: string, from: number): Row[] {
    return this.rows.filter((row) => Number(row[field]) >= from)
  }
}
