/**
 * Missing trades from Coinbase Exchange REST: GET /products/{id}/trades?after=<id> answers the trades older than
 * <id>, newest first, up to 1000 a page, with the next page's cursor in CB-AFTER. A gap (after, before) is filled by
 * paging back from `before` until `after` is reached or maxBackfill trades were taken (the newest ones: what is
 * contiguous with the live stream). Pages are paced under the public limit (10 requests/s per IP).
 */
import {fetchJsonResponse, isEtlError, messageOf, type PluginContext, sleep} from '../../../sdk/index.js'
import {parseTrade, type Trade} from './trade.js'
import type {CoinbaseSettings} from './coinbase-config.js'

const PAGE = 1000
/** Between two pages: 10 requests/s per IP is the public REST limit; leave room for other clients on the host. */
const PAGE_GAP_MS = 150

export interface Backfilled {
  /** Trades with after < trade_id < before, oldest first. */
  trades: Trade[]
  /** Ids in the gap that REST did not give (over maxBackfill, or never found). */
  missed: number
}

/** Permanent (404 product, 400) or out of attempts: the gap stays, counted and logged; the live stream goes on. */
export function reportBackfillFailure(
  context: PluginContext,
  gap: {product: string; after: number; before: number},
  error: unknown,
): void {
  context.count('backfill_failed')
  const code = isEtlError(error) ? `${error.code}: ` : ''
  context.logger.error(`coinbase: back-fill of ${gap.product} failed: ${code}${messageOf(error)}`, gap)
}

export class RestBackfill {
  private lastRequestAt = 0

  constructor(
    private readonly s: CoinbaseSettings,
    private readonly context: PluginContext,
  ) {}

  /** Trades strictly between `after` and `before`; never throws (a failed back-fill is counted as missed trades). */
  async fill(product: string, after: number, before: number, signal: AbortSignal): Promise<Backfilled> {
    const wanted = before - after - 1
    const found = new Map<number, Trade>()
    try {
      let cursor = before
      while (!signal.aborted && found.size < this.s.maxBackfill && cursor > after + 1) {
        const page = await this.page(product, cursor, signal)
        if (page === undefined) break
        for (const trade of page.trades)
          if (trade.tradeId > after && trade.tradeId < before && found.size < this.s.maxBackfill)
            found.set(trade.tradeId, trade)
        const oldest = Math.min(...page.trades.map((t) => t.tradeId))
        const next = page.next ?? oldest
        if (page.trades.length === 0 || !(next < cursor)) break
        cursor = next
      }
    } catch (error) {
      if (signal.aborted) return {trades: [], missed: 0}
      reportBackfillFailure(this.context, {product, after, before}, error)
    }
    const trades = [...found.values()].sort((a, b) => a.tradeId - b.tradeId)
    return {trades, missed: signal.aborted ? 0 : wanted - trades.length}
  }

  private async page(product: string, cursor: number, signal: AbortSignal) {
    const wait = this.lastRequestAt + PAGE_GAP_MS - Date.now()
    if (wait > 0) await sleep(wait, signal)
    this.lastRequestAt = Date.now()
    const url = `${this.s.restUrl}/products/${encodeURIComponent(product)}/trades?after=${cursor}&limit=${PAGE}`
    const response = await fetchJsonResponse(this.context, url, {
      headers: {'user-agent': 'etl (coinbase source)'},
      timeoutMs: this.s.timeoutMs,
      signal,
      describe: `Coinbase REST trades ${product}`,
      check: (body) => (Array.isArray(body) ? undefined : 'expected a JSON array of trades'),
    })
    if (response === undefined) return undefined
    this.context.count('backfill_requests')
    const trades: Trade[] = []
    for (const row of response.body as unknown[]) {
      const trade = typeof row === 'object' && row !== null ? parseTrade(row as Record<string, unknown>, product) : ''
      if (typeof trade === 'string') this.context.count('backfill_rejected_trade')
      else trades.push(trade)
    }
    const next = Number(response.headers['cb-after'])
    return {trades, next: Number.isSafeInteger(next) && next > 0 ? next : undefined}
  }
}
