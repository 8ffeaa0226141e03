/**
 * What a Binance combined-stream frame means to the source: market data (a record with its position for dedupe),
 * a kline update that is not final yet, a reply to a control request, a server-shutdown notice, or something it
 * cannot use (with why, for counting and logging). Trades are mapped the same way whether they came from the stream
 * or from REST, so a back-filled trade's record is identical to the one the stream would have given.
 */
import type {EtlRecord} from '../../../sdk/index.js'
import {hasTradeIds, type Pair} from './settings.js'

/** A record with its position per pair: the trade (or agg) id, a kline's open time, a ticker's event time. */
export interface Item {
  pair: string
  position: number
  record: EtlRecord
}

export type StreamEvent =
  | {kind: 'item'; item: Item}
  | {kind: 'partial'}
  | {kind: 'reply'; id: unknown}
  | {kind: 'error-reply'; id: unknown; error: string}
  | {kind: 'shutdown'}
  | {kind: 'unknown'; why: string}
  | {kind: 'invalid'; why: string}

/** A REST trade: historicalTrades' shape ({id, price, qty, time, isBuyerMaker}) or aggTrades' ({a, p, q, T, m…}). */
export type RestTrade = Record<string, unknown>

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0
const isTime = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0

/** A decimal string (or number) as a finite number > 0 (prices) or ≥ 0 (quantities), else undefined. */
function decimal(value: unknown, positive: boolean): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined
  if (typeof value === 'string' && !/^\d+(\.\d+)?$/.test(value)) return undefined
  const n = Number(value)
  return Number.isFinite(n) && (positive ? n > 0 : n >= 0) ? n : undefined
}

export class StreamEvents {
  private readonly pairs: Map<string, Pair>

  constructor(
    pairs: Pair[],
    private readonly stream: string,
  ) {
    this.pairs = new Map(pairs.map((p) => [p.pair, p]))
  }

  /** The meaning of one parsed frame. */
  read(frame: unknown): StreamEvent {
    if (!isObject(frame)) return {kind: 'unknown', why: 'not a JSON object'}
    if ('stream' in frame && 'data' in frame) return this.data(frame.stream, frame.data)
    if ('e' in frame && frame.e === 'serverShutdown') return {kind: 'shutdown'}
    if ('id' in frame && 'error' in frame)
      return {kind: 'error-reply', id: frame.id, error: JSON.stringify(frame.error)}
    if ('id' in frame && 'result' in frame) return {kind: 'reply', id: frame.id}
    return {kind: 'unknown', why: 'neither a stream event nor a reply'}
  }

  /** A REST trade of `pair` as the stream's record would be, or why it is unusable. */
  restTrade(pair: string, trade: RestTrade): Item | string {
    if (this.stream === 'aggTrade')
      return this.trade(pair, {a: trade.a, p: trade.p, q: trade.q, T: trade.T, m: trade.m, f: trade.f, l: trade.l})
    return this.trade(pair, {t: trade.id, p: trade.price, q: trade.qty, T: trade.time, m: trade.isBuyerMaker})
  }

  private data(stream: unknown, data: unknown): StreamEvent {
    if (stream === '!serverShutdown') return {kind: 'shutdown'}
    if (typeof stream !== 'string' || !isObject(data)) return {kind: 'invalid', why: 'stream/data of the wrong type'}
    if (data.e === 'serverShutdown') return {kind: 'shutdown'}
    const pair = typeof data.s === 'string' ? data.s : undefined
    if (!pair || !this.pairs.has(pair)) return {kind: 'unknown', why: `a stream not subscribed to (${stream})`}
    const expected = this.expectedEvent()
    if (data.e !== expected) return {kind: 'unknown', why: `event type ${JSON.stringify(data.e)} on ${stream}`}
    if (hasTradeIds(this.stream)) return wrap(this.trade(pair, data))
    if (this.stream === 'miniTicker') return wrap(this.miniTicker(pair, data))
    return this.kline(pair, data)
  }

  private expectedEvent(): string {
    if (this.stream === 'miniTicker') return '24hrMiniTicker'
    return this.stream.startsWith('kline_') ? 'kline' : this.stream
  }

  /** A trade or aggTrade payload (t or a, p, q, T, m). */
  private trade(pair: string, data: Record<string, unknown>): Item | string {
    const p = this.pairs.get(pair) as Pair
    const id = this.stream === 'aggTrade' ? data.a : data.t
    const price = decimal(data.p, true)
    const quantity = decimal(data.q, false)
    if (!isId(id)) return `trade id ${JSON.stringify(id)} is not a non-negative integer`
    if (price === undefined) return `price ${JSON.stringify(data.p)} is not a decimal > 0`
    if (quantity === undefined) return `quantity ${JSON.stringify(data.q)} is not a decimal ≥ 0`
    if (!isTime(data.T)) return `trade time ${JSON.stringify(data.T)} is not epoch milliseconds`
    if (typeof data.m !== 'boolean') return `buyer-is-maker flag ${JSON.stringify(data.m)} is not a boolean`
    const record: EtlRecord = {
      symbol: p.base,
      [p.priceField]: price,
      timestamp: new Date(data.T).toISOString(),
      quantity,
      trade_id: id,
      // m: the buyer was the maker, so the taker (the side that traded) sold.
      side: data.m ? 'sell' : 'buy',
      pair,
      quote: p.quote,
      exchange: 'binance',
    }
    if (this.stream === 'aggTrade')
      Object.assign(record, {first_trade_id: data.f ?? null, last_trade_id: data.l ?? null})
    return {pair, position: id, record}
  }

  private miniTicker(pair: string, data: Record<string, unknown>): Item | string {
    const p = this.pairs.get(pair) as Pair
    const close = decimal(data.c, true)
    if (close === undefined) return `last price ${JSON.stringify(data.c)} is not a decimal > 0`
    if (!isTime(data.E)) return `event time ${JSON.stringify(data.E)} is not epoch milliseconds`
    const record: EtlRecord = {
      symbol: p.base,
      [p.priceField]: close,
      timestamp: new Date(data.E).toISOString(),
      open_24h: decimal(data.o, true) ?? null,
      high_24h: decimal(data.h, true) ?? null,
      low_24h: decimal(data.l, true) ?? null,
      volume_24h: decimal(data.v, false) ?? null,
      quote_volume_24h: decimal(data.q, false) ?? null,
      pair,
      quote: p.quote,
      exchange: 'binance',
    }
    return {pair, position: data.E, record}
  }

  /** A kline update: only the final one of a candle (x: true) becomes a record, stamped with the candle's open. */
  private kline(pair: string, data: Record<string, unknown>): StreamEvent {
    const k = data.k
    if (!isObject(k)) return {kind: 'invalid', why: 'kline without a k object'}
    if (k.x !== true) return k.x === false ? {kind: 'partial'} : {kind: 'invalid', why: 'kline x is not a boolean'}
    const p = this.pairs.get(pair) as Pair
    const [open, high, low, close] = [k.o, k.h, k.l, k.c].map((v) => decimal(v, true))
    if (close === undefined || open === undefined || high === undefined || low === undefined)
      return {kind: 'invalid', why: 'kline o/h/l/c are not decimals > 0'}
    if (!isTime(k.t)) return {kind: 'invalid', why: `kline open time ${JSON.stringify(k.t)} is not epoch ms`}
    const record: EtlRecord = {
      symbol: p.base,
      [p.priceField]: close,
      timestamp: new Date(k.t).toISOString(),
      open,
      high,
      low,
      volume: decimal(k.v, false) ?? null,
      quote_volume: decimal(k.q, false) ?? null,
      trades: isId(k.n) ? k.n : null,
      interval: typeof k.i === 'string' ? k.i : null,
      pair,
      quote: p.quote,
      exchange: 'binance',
    }
    return {kind: 'item', item: {pair, position: k.t, record}}
  }
}

function wrap(result: Item | string): StreamEvent {
  return typeof result === 'string' ? {kind: 'invalid', why: result} : {kind: 'item', item: result}
}
