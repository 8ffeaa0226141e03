/**
 * Coinbase Exchange trades as the feed (`match`, `last_match`) and REST (/products/{id}/trades) send them, checked
 * field by field: prices and sizes are decimal strings, trade ids integers, `time` ISO 8601 with µs, `side` the
 * MAKER's side. Anything else is a reason, never an exception: bad data is counted, not fatal.
 */
import {type EtlRecord, isoTime} from '../../../sdk/index.js'

export interface Trade {
  product: string
  tradeId: number
  price: number
  size: number
  /** The maker's side, as Coinbase sends it. */
  makerSide: 'buy' | 'sell'
  /** Epoch ms of the trade (the exchange's event time). */
  timeMs: number
}

const DECIMAL = /^\d+(\.\d+)?$/

/** The trade in `raw` for `product` (REST rows carry no product id), or why it is not one. */
export function parseTrade(raw: Record<string, unknown>, product: string): Trade | string {
  const {trade_id: tradeId, price, size, side, time} = raw
  if (!Number.isSafeInteger(tradeId) || (tradeId as number) <= 0) return 'trade_id is not a positive integer'
  const p = decimal(price)
  if (p === undefined || p <= 0) return 'price is not a decimal string > 0'
  const s = decimal(size)
  if (s === undefined || s <= 0) return 'size is not a decimal string > 0'
  if (side !== 'buy' && side !== 'sell') return 'side is neither buy nor sell'
  const timeMs = typeof time === 'string' && /^\d{4}-\d\d-\d\dT/.test(time) ? Date.parse(time) : Number.NaN
  if (!Number.isFinite(timeMs)) return 'time is not an ISO 8601 time'
  return {product, tradeId: tradeId as number, price: p, size: s, makerSide: side, timeMs}
}

function decimal(value: unknown): number | undefined {
  if (typeof value !== 'string' || !DECIMAL.test(value)) return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : undefined
}

/**
 * The house record of a trade: what ohlc, vwap and the charts read (`symbol`, `price_<quote>`, `timestamp`) plus the
 * trade's identity. `side` is the TAKER's (the aggressor: Coinbase's maker `sell` is a taker buy), as for every
 * exchange source, so buy/sell volume means the same whichever exchange it came from.
 */
export function tradeRecord(trade: Trade): EtlRecord {
  const [base, quote] = trade.product.split('-')
  return {
    symbol: base,
    [`price_${quote.toLowerCase()}`]: trade.price,
    timestamp: isoTime(trade.timeMs),
    trade_id: trade.tradeId,
    quantity: trade.size,
    side: trade.makerSide === 'sell' ? 'buy' : 'sell',
    exchange: 'coinbase',
    product: trade.product,
    quote,
  }
}
