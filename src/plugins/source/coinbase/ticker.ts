/**
 * The `ticker` channel of the Coinbase Exchange feed: a message per match (cascading matches batched into one), with
 * the last price, best bid and ask and the rolling 24 h figures. Ticker trade ids skip (the batching), so they are
 * never gap-checked or back-filled; what makes a ticker new is its `sequence`, which rises per product across every
 * message type. The last sequence passed on per product is the source's checkpoint in this mode, so the snapshot the
 * feed sends on every subscribe, and anything older after a restart, is dropped as a repeat.
 */
import {type EtlRecord, isoTime} from '../../../sdk/index.js'

export interface Ticker {
  product: string
  sequence: number
  price: number
  bestBid?: number
  bestAsk?: number
  open24h?: number
  high24h?: number
  low24h?: number
  volume24h?: number
  lastSize?: number
  tradeId?: number
  /** Epoch ms (the exchange's event time). */
  timeMs: number
}

const DECIMAL = /^\d+(\.\d+)?$/

/** The ticker in `raw` for `product`, or why it is not one (price, sequence and time are required). */
export function parseTicker(raw: Record<string, unknown>, product: string): Ticker | string {
  const sequence = raw.sequence
  if (!Number.isSafeInteger(sequence) || (sequence as number) <= 0) return 'sequence is not a positive integer'
  const price = decimal(raw.price)
  if (price === undefined || price <= 0) return 'price is not a decimal string > 0'
  const time = raw.time
  const timeMs = typeof time === 'string' && /^\d{4}-\d\d-\d\dT/.test(time) ? Date.parse(time) : Number.NaN
  if (!Number.isFinite(timeMs)) return 'time is not an ISO 8601 time'
  const tradeId = Number.isSafeInteger(raw.trade_id) ? (raw.trade_id as number) : undefined
  return {
    product,
    sequence: sequence as number,
    price,
    bestBid: decimal(raw.best_bid),
    bestAsk: decimal(raw.best_ask),
    open24h: decimal(raw.open_24h),
    high24h: decimal(raw.high_24h),
    low24h: decimal(raw.low_24h),
    volume24h: decimal(raw.volume_24h),
    lastSize: decimal(raw.last_size),
    tradeId,
    timeMs,
  }
}

function decimal(value: unknown): number | undefined {
  if (typeof value !== 'string' || !DECIMAL.test(value)) return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : undefined
}

/** The house record of a ticker: `symbol`, `price_<quote>`, `timestamp` as every price source has, plus the book. */
export function tickerRecord(t: Ticker): EtlRecord {
  const [base, quote] = t.product.split('-')
  const q = quote.toLowerCase()
  const record: EtlRecord = {symbol: base, [`price_${q}`]: t.price, timestamp: isoTime(t.timeMs)}
  const optional: [string, number | undefined][] = [
    [`best_bid_${q}`, t.bestBid],
    [`best_ask_${q}`, t.bestAsk],
    [`open_24h_${q}`, t.open24h],
    [`high_24h_${q}`, t.high24h],
    [`low_24h_${q}`, t.low24h],
    ['volume_24h', t.volume24h],
    ['quantity', t.lastSize],
    ['trade_id', t.tradeId],
  ]
  for (const [field, value] of optional) if (value !== undefined) record[field] = value
  return {...record, sequence: t.sequence, exchange: 'coinbase', product: t.product, quote, record_type: 'ticker'}
}

export interface TickerCheckpoint {
  v: 1
  channel: 'ticker'
  /** Product id → last sequence passed on. */
  sequence: Record<string, number>
}

/** The last sequence passed on per product: what is a repeat, and the checkpoint. */
export class TickerLedger {
  private readonly last = new Map<string, number>()

  constructor(private readonly products: readonly string[]) {}

  /** True when `sequence` is newer than the last passed on for `product` (then it is recorded as passed on). */
  take(product: string, sequence: number): boolean {
    if (sequence <= (this.last.get(product) ?? 0)) return false
    this.last.set(product, sequence)
    return true
  }

  checkpoint(): TickerCheckpoint {
    return {v: 1, channel: 'ticker', sequence: Object.fromEntries(this.last)}
  }

  /** Takes a checkpoint back (products no longer configured are dropped); returns why it cannot, or undefined. */
  restore(state: unknown): string | undefined {
    const c = state as Partial<TickerCheckpoint> | null
    if (typeof c !== 'object' || c === null || c.v !== 1 || c.channel !== 'ticker' || typeof c.sequence !== 'object')
      return 'it is not a checkpoint of the coinbase ticker channel'
    for (const product of this.products) {
      const n = (c.sequence as Record<string, unknown> | null)?.[product]
      if (Number.isSafeInteger(n) && (n as number) > 0) this.take(product, n as number)
    }
    return undefined
  }
}
