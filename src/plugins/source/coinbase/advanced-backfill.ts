/**
 * Missing trades from Coinbase Advanced Trade REST (shared/reference/exchanges.md §3.4): GET
 * /api/v3/brokerage/market/products/{id}/ticker?limit=<n>&end=<unix s> answers `{trades: [...]}`, newest first, up to
 * `limit`, with no id cursor. A gap (after, before) is filled by paging back in time from the trade after it: each
 * next page ends at the second of the oldest trade seen (the seconds overlap; trades are deduped by id) until `after`
 * is reached, maxBackfill trades were taken, or a page makes no progress in time. Paced under the public limit.
 */
import {fetchJsonResponse, type PluginContext, sleep} from '../../../sdk/index.js'
import {parseAdvancedTrade} from './advanced-messages.js'
import type {CoinbaseSettings} from './coinbase-config.js'
import {reportBackfillFailure, type Backfilled} from './rest-backfill.js'
import type {Trade} from './trade.js'

const PAGE = 1000
/** Between two pages: the public REST limit is 10 requests/s per IP; leave room for other clients on the host. */
const PAGE_GAP_MS = 150

export class AdvancedBackfill {
  private lastRequestAt = 0

  constructor(
    private readonly s: CoinbaseSettings,
    private readonly context: PluginContext,
  ) {}

  /**
   * Trades strictly between `after` and `before` (whose trade time is `beforeMs`); never throws: a failed back-fill
   * is counted as missed trades.
   */
  async fill(
    product: string,
    after: number,
    before: number,
    signal: AbortSignal,
    beforeMs: number,
  ): Promise<Backfilled> {
    const wanted = before - after - 1
    const found = new Map<number, Trade>()
    try {
      let end = Math.floor(beforeMs / 1000) + 1
      while (!signal.aborted && found.size < this.s.maxBackfill) {
        const page = await this.page(product, end, signal)
        if (page === undefined || page.length === 0) break
        for (const trade of page)
          if (trade.tradeId > after && trade.tradeId < before && found.size < this.s.maxBackfill)
            found.set(trade.tradeId, trade)
        const oldest = page.reduce((a, b) => (b.tradeId < a.tradeId ? b : a))
        const next = Math.floor(oldest.timeMs / 1000) + 1
        if (oldest.tradeId <= after + 1 || page.length < PAGE || !(next < end)) break
        end = next
      }
    } catch (error) {
      if (signal.aborted) return {trades: [], missed: 0}
      reportBackfillFailure(this.context, {product, after, before}, error)
    }
    const trades = [...found.values()].sort((a, b) => a.tradeId - b.tradeId)
    return {trades, missed: signal.aborted ? 0 : wanted - trades.length}
  }

  private async page(product: string, end: number, signal: AbortSignal): Promise<Trade[] | undefined> {
    const wait = this.lastRequestAt + PAGE_GAP_MS - Date.now()
    if (wait > 0) await sleep(wait, signal)
    this.lastRequestAt = Date.now()
    const path = `/api/v3/brokerage/market/products/${encodeURIComponent(product)}/ticker`
    const response = await fetchJsonResponse(this.context, `${this.s.restUrl}${path}?limit=${PAGE}&end=${end}`, {
      headers: {'user-agent': 'etl (coinbase source)'},
      timeoutMs: this.s.timeoutMs,
      signal,
      describe: `Coinbase Advanced REST trades ${product}`,
      check: (body) =>
        Array.isArray((body as {trades?: unknown} | null)?.trades) ? undefined : 'expected {trades: [...]}',
    })
    if (response === undefined) return undefined
    this.context.count('backfill_requests')
    const trades: Trade[] = []
    for (const row of (response.body as {trades: unknown[]}).trades) {
      const trade =
        typeof row === 'object' && row !== null ? parseAdvancedTrade(row as Record<string, unknown>, product) : ''
      if (typeof trade === 'string') this.context.count('backfill_rejected_trade')
      else trades.push(trade)
    }
    return trades
  }
}
