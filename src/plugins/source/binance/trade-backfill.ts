/**
 * REST back-fill of trades the stream did not deliver: after a reconnect or a restart (from the checkpoint up to now)
 * and inside an id gap seen on the stream. Binance replays nothing after a reconnect, so this is the only way to get
 * the trades made meanwhile. `historicalTrades?fromId=` (trade) and `aggTrades?fromId=` (aggTrade) need no API key;
 * fromId is inclusive and pages are oldest first. Ids REST does not have either are a real gap: counted as
 * `trade_gap` (and `trade_gap_trades` with its size) and logged, never invented.
 */
import {fetchJson, type PluginContext, type SourceEmitter} from '../../../sdk/index.js'
import type {Progress} from './progress.js'
import type {Settings} from './settings.js'
import type {Item, RestTrade, StreamEvents} from './stream-events.js'

/** Binance's largest page for both endpoints. */
export const PAGE_LIMIT = 1000

const checkArray = (body: unknown) => (Array.isArray(body) ? undefined : 'the answer is not a JSON array')

export class TradeBackfill {
  constructor(
    private readonly s: Settings,
    private readonly events: StreamEvents,
    private readonly progress: Progress,
    private readonly context: PluginContext,
  ) {}

  /**
   * Emits the trades of `pair` from id `from` up to `until` (inclusive; undefined: up to the newest REST has), in id
   * order, each batch with the checkpoint after it. Stops early (without counting a gap) when `signal` aborts.
   */
  async fill(pair: string, from: number, until: number | undefined, emit: SourceEmitter, signal: AbortSignal) {
    let next = from
    let fetched = 0
    while ((until === undefined || next <= until) && fetched < this.s.maxBackfill && !signal.aborted) {
      const room = until === undefined ? PAGE_LIMIT : until - next + 1
      const limit = Math.min(PAGE_LIMIT, this.s.maxBackfill - fetched, room)
      const page = await this.page(pair, next, limit, signal)
      if (page === undefined) return // shutting down
      const items = page.items.filter((item) => until === undefined || item.position <= until)
      if (items.length === 0) break
      if (items[0].position > next) this.gap(pair, next, items[0].position - 1, 'REST has no trades with these ids')
      for (const item of items) this.progress.advance(item.pair, item.position)
      await emit(
        items.map((item) => item.record),
        this.progress.checkpoint(),
      )
      this.context.count('backfilled', items.length)
      fetched += items.length
      next = items[items.length - 1].position + 1
      if (page.size < limit) break // nothing newer on REST yet
    }
    if (fetched > 0) this.context.logger.info(`back-filled ${fetched} trade(s) of ${pair} from REST`, {from})
    if (until !== undefined && next <= until && !signal.aborted) {
      const why = fetched >= this.s.maxBackfill ? `more than maxBackfill (${this.s.maxBackfill})` : 'not on REST'
      this.gap(pair, next, until, why)
    }
  }

  /** Counts and logs ids that will never be emitted. */
  gap(pair: string, from: number, until: number, why: string): void {
    const size = until - from + 1
    this.context.count('trade_gap')
    this.context.count('trade_gap_trades', size)
    this.context.logger.warn(`${pair}: ${size} trade id(s) missing (${from}…${until}): ${why}`, {
      pair,
      from,
      until,
      size,
    })
  }

  /** One REST page from `fromId`: its usable trades at or after it (in id order), and how many items it had. */
  private async page(pair: string, fromId: number, limit: number, signal: AbortSignal) {
    const endpoint = this.s.stream === 'aggTrade' ? 'aggTrades' : 'historicalTrades'
    const url = `${this.s.restUrl}/api/v3/${endpoint}?symbol=${pair}&fromId=${fromId}&limit=${limit}`
    const body = await fetchJson(this.context, url, {
      describe: `Binance ${endpoint} ${pair}`,
      timeoutMs: this.s.timeoutMs,
      signal,
      check: checkArray,
    })
    if (body === undefined) return undefined
    const items: Item[] = []
    for (const raw of body as RestTrade[]) {
      const item = this.events.restTrade(pair, raw)
      if (typeof item === 'string') {
        this.context.count('rejected_invalid_trade')
        this.context.logger.warn(`skipped a REST trade of ${pair}: ${item}`, {trade: JSON.stringify(raw)})
      } else if (item.position >= fromId) {
        items.push(item)
      }
    }
    items.sort((a, b) => a.position - b.position)
    return {items, size: (body as unknown[]).length}
  }
}
