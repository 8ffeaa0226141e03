/**
 * Coinbase Advanced Trade market data as its envelope carries it (shared/reference/exchanges.md §3.2): `channel`,
 * `timestamp` (RFC 3339 with ns), `sequence_num` (an integer per connection) and `events[]`, each a `snapshot` or an
 * `update`. market_trades events hold `trades[]` newest first, with `trade_id` a decimal STRING and `side` the maker's
 * side in upper case; ticker events hold `tickers[]` with no trade id and no time of their own. Parsed field by field
 * into the Exchange mode's Trade and Ticker, so records have one house shape; a bad field is a reason, never a throw.
 */
import type {Ticker} from './ticker.js'
import type {Trade} from './trade.js'

const DECIMAL = /^\d+(\.\d+)?$/
const ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/

/** Epoch ms of an RFC 3339 time with any number of fractional digits (cut to ms here, not by Date.parse). */
export function timeMs(value: unknown): number {
  const m = typeof value === 'string' ? ISO.exec(value) : null
  if (!m) return Number.NaN
  const fraction = (m[2] ?? '.0').slice(0, 4).padEnd(4, '0')
  return Date.parse(`${m[1]}${fraction}${m[3]}`)
}

function decimal(value: unknown): number | undefined {
  if (typeof value !== 'string' || !DECIMAL.test(value)) return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : undefined
}

/** An Advanced trade (feed or REST row) for `product`, or why it is not one. */
export function parseAdvancedTrade(raw: Record<string, unknown>, product: string): Trade | string {
  const {trade_id: id, price, size, side, time} = raw
  const tradeId = typeof id === 'string' && /^\d{1,15}$/.test(id) ? Number(id) : Number.NaN
  if (!Number.isSafeInteger(tradeId) || tradeId <= 0) return 'trade_id is not a positive integer string'
  const p = decimal(price)
  if (p === undefined || p <= 0) return 'price is not a decimal string > 0'
  const s = decimal(size)
  if (s === undefined || s <= 0) return 'size is not a decimal string > 0'
  if (side !== 'BUY' && side !== 'SELL') return 'side is neither BUY nor SELL'
  const ms = timeMs(time)
  if (!Number.isFinite(ms)) return 'time is not an RFC 3339 time'
  return {product, tradeId, price: p, size: s, makerSide: side === 'BUY' ? 'buy' : 'sell', timeMs: ms}
}

/**
 * An Advanced ticker for `product` at the envelope's time `envelopeMs`, or why it is not one. It has no sequence of
 * its own: `sequence` here is the envelope time in ms, what makes a ticker newer than another.
 */
export function parseAdvancedTicker(
  raw: Record<string, unknown>,
  product: string,
  envelopeMs: number,
): Ticker | string {
  const price = decimal(raw.price)
  if (price === undefined || price <= 0) return 'price is not a decimal string > 0'
  if (!Number.isFinite(envelopeMs)) return 'the envelope timestamp is not an RFC 3339 time'
  return {
    product,
    sequence: envelopeMs,
    price,
    bestBid: decimal(raw.best_bid),
    bestAsk: decimal(raw.best_ask),
    high24h: decimal(raw.high_24_h),
    low24h: decimal(raw.low_24_h),
    volume24h: decimal(raw.volume_24_h),
    timeMs: envelopeMs,
  }
}

/** The `events[]` of an envelope as objects, or undefined when it has none. */
export function eventsOf(m: Record<string, unknown>): Record<string, unknown>[] | undefined {
  const events = m.events
  if (!Array.isArray(events)) return undefined
  return events.filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null && !Array.isArray(e))
}

/** Per connection, `sequence_num` rises by 1 per message: how many were skipped before this one (0: none). */
export class SequenceWatch {
  private last?: number

  /** A new connection starts a new count. */
  reset(): void {
    this.last = undefined
  }

  /** Messages missing before `sequence` (a lower or repeated number counts as 0 and is not a gap). */
  skipped(sequence: unknown): number {
    if (!Number.isSafeInteger(sequence)) return 0
    const n = sequence as number
    const before = this.last
    if (before === undefined || n > before) this.last = n
    return before !== undefined && n > before + 1 ? n - before - 1 : 0
  }
}
