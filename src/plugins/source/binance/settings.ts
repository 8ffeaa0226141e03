/**
 * The binance source's config: its JSON Schema (the single source for validation, `etl plugins` and docs), the checks
 * a schema cannot word helpfully (symbol form, which quote asset a pair ends in), and the settings derived from both.
 */
import {type ConfigIssue, durationSchema, type Duration, parseDuration} from '../../../sdk/index.js'

/** Every kline interval Binance streams (1M is a month, 1m a minute). */
export const KLINE_INTERVALS = '1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M'.split(' ')
export const STREAMS = ['trade', 'aggTrade', 'miniTicker', ...KLINE_INTERVALS.map((i) => `kline_${i}`)]
export type StreamName = 'trade' | 'aggTrade' | 'miniTicker' | `kline_${string}`

export interface BinanceConfig {
  symbols: string[]
  stream?: StreamName
  quotes?: Record<string, string>
  baseUrl?: string
  restUrl?: string
  backfill?: boolean
  maxBackfill?: number
  stallTimeout?: Duration
  reconnectEvery?: Duration
  timeout?: Duration
}

export const DEFAULT_WS_URL = 'wss://stream.binance.com:9443'
export const DEFAULT_REST_URL = 'https://api.binance.com'
/** Binance pair symbols: upper-case letters and digits, no separator. */
export const SYMBOL_FORM = /^[A-Z0-9]{5,20}$/

/**
 * Quote assets a pair may end in, longest first so FDUSD wins over USD and USDT over USD. A pair ending in none of
 * them needs its quote in `quotes`.
 */
export const KNOWN_QUOTES = [
  'FDUSD',
  'USDT',
  'USDC',
  'TUSD',
  'BUSD',
  'USDP',
  'EURI',
  'AEUR',
  'BTC',
  'ETH',
  'BNB',
  'EUR',
  'GBP',
  'TRY',
  'BRL',
  'JPY',
  'AUD',
  'MXN',
  'PLN',
  'RON',
  'ZAR',
  'UAH',
  'ARS',
  'COP',
  'IDR',
  'DAI',
  'XRP',
  'TRX',
  'DOGE',
  'SOL',
]

export const configSchema = {
  type: 'object' as const,
  description: 'Binance Spot market streams over one combined-stream WebSocket, one record per trade (or candle).',
  additionalProperties: false,
  required: ['symbols'],
  properties: {
    symbols: {
      type: 'array',
      description:
        'Binance pairs, upper case without separator (BTCUSDT, ETHBTC): 5–20 letters or digits. The base asset ' +
        'becomes `symbol`, the quote asset names the price field (BTCUSDT → symbol BTC, price_usdt).',
      items: {type: 'string', minLength: 1},
      minItems: 1,
      maxItems: 1024,
      uniqueItems: true,
      examples: [['BTCUSDT'], ['BTCUSDT', 'ETHUSDT', 'ETHBTC']],
    },
    stream: {
      type: 'string',
      enum: STREAMS,
      description:
        'Which market stream: trade (every trade), aggTrade (trades aggregated per taker order), kline_<interval> ' +
        '(closed candles only) or miniTicker (rolling 24 h, every second). trade and aggTrade are deduplicated by ' +
        'id and their gaps are back-filled from REST; klines by open time, mini-tickers by event time.',
      default: 'trade',
      examples: ['trade', 'aggTrade', 'kline_1m', 'miniTicker'],
    },
    quotes: {
      type: 'object',
      description: 'Quote asset per pair, for pairs that end in none of the common quote assets (USDT, BTC, EUR…).',
      additionalProperties: {type: 'string', pattern: '^[A-Z0-9]{2,10}$'},
      examples: [{ABCXYZ: 'XYZ'}],
    },
    baseUrl: {
      type: 'string',
      pattern: '^wss?://',
      description: `WebSocket root. Default: env BINANCE_WS_URL, else ${DEFAULT_WS_URL}.`,
      examples: [DEFAULT_WS_URL, 'wss://data-stream.binance.vision', 'ws://127.0.0.1:8090'],
    },
    restUrl: {
      type: 'string',
      pattern: '^https?://',
      description:
        `REST root for back-fills (historicalTrades, aggTrades). Default: env BINANCE_REST_URL, else ` +
        `${DEFAULT_REST_URL} (data-api.binance.vision lacks historicalTrades).`,
      examples: [DEFAULT_REST_URL, 'http://127.0.0.1:8090'],
    },
    backfill: {
      type: 'boolean',
      description:
        'Fetch from REST the trades missed while disconnected or stopped (from the checkpoint) and inside id gaps. ' +
        'false: gaps are only counted (trade_gap) and logged with their size.',
      default: true,
      examples: [true, false],
    },
    maxBackfill: {
      type: 'integer',
      minimum: 0,
      description:
        'Most trades one back-fill fetches per pair (1000 per request). What lies beyond is counted as trade_gap.',
      default: 100_000,
      examples: [100_000, 10_000],
    },
    stallTimeout: durationSchema(
      'No market data for this long on an open connection means a silent stall: reconnect (ws_stall). Keep it ' +
        'above the quietest pair’s gap between trades; 0 disables.',
      '60s',
    ),
    reconnectEvery: durationSchema(
      'Replace the connection after this long, before Binance’s scheduled 24 h cut (missed trades are back-filled).',
      '23h',
    ),
    timeout: durationSchema('Limit for one REST request, body included.', '10s'),
    // `retry:` (the reconnect backoff, and REST 429/5xx) is the runtime's per-stage key: see context.retry.
  },
  examples: [{symbols: ['BTCUSDT', 'ETHUSDT'], stream: 'trade'}],
}

/** Where a pair splits: its base and quote asset, or undefined when no known quote asset ends it. */
export function splitPair(
  pair: string,
  quotes: Record<string, string> = {},
): {base: string; quote: string} | undefined {
  const quote = Object.hasOwn(quotes, pair) ? quotes[pair] : KNOWN_QUOTES.find((q) => pair.endsWith(q))
  if (!quote || !pair.endsWith(quote) || quote.length >= pair.length) return undefined
  return {base: pair.slice(0, pair.length - quote.length), quote}
}

/** What the schema cannot say helpfully: each symbol's form, and that its quote asset is known. */
export function configIssues(config: BinanceConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  config.symbols.forEach((symbol, index) => {
    if (!SYMBOL_FORM.test(symbol)) {
      const fixed = symbol.toUpperCase().replace(/[^A-Z0-9]/g, '')
      const hint = SYMBOL_FORM.test(fixed) ? ` — did you mean "${fixed}"?` : ''
      const message = `"${symbol}" is not a Binance pair: write it in upper case without separator, e.g. BTCUSDT`
      issues.push({path: ['symbols', index], message: message + hint})
    } else if (!splitPair(symbol, config.quotes)) {
      const message =
        `cannot tell the quote asset of "${symbol}" (it ends in none of ${KNOWN_QUOTES.join(', ')}): ` +
        `name it in quotes, e.g. quotes: {${symbol}: ${symbol.slice(-3)}}`
      issues.push({path: ['symbols', index], message})
    }
  })
  for (const [pair, quote] of Object.entries(config.quotes ?? {})) {
    if (!pair.endsWith(quote) || quote.length >= pair.length)
      issues.push({path: ['quotes', pair], message: `"${pair}" does not end in its quote asset "${quote}"`})
  }
  return issues
}

export interface Pair {
  /** As Binance writes it: BTCUSDT. */
  pair: string
  base: string
  quote: string
  /** The record's price field: price_<quote in lower case>. */
  priceField: string
}

export function settings(config: BinanceConfig, env: NodeJS.ProcessEnv) {
  const pairs: Pair[] = config.symbols.map((pair) => {
    const split = splitPair(pair, config.quotes) ?? {base: pair, quote: 'quote'}
    return {pair, ...split, priceField: `price_${split.quote.toLowerCase()}`}
  })
  return {
    pairs,
    stream: config.stream ?? 'trade',
    baseUrl: (config.baseUrl || env.BINANCE_WS_URL || DEFAULT_WS_URL).replace(/\/+$/, ''),
    restUrl: (config.restUrl || env.BINANCE_REST_URL || DEFAULT_REST_URL).replace(/\/+$/, ''),
    backfill: config.backfill ?? true,
    maxBackfill: config.maxBackfill ?? 100_000,
    stallTimeoutMs: parseDuration(config.stallTimeout ?? '60s'),
    reconnectEveryMs: parseDuration(config.reconnectEvery ?? '23h'),
    timeoutMs: parseDuration(config.timeout ?? '10s'),
  }
}

export type Settings = ReturnType<typeof settings>

/** The combined-stream URL: /stream?streams=btcusdt@trade/ethusdt@trade (stream names are lower case). */
export function streamUrl(s: Settings): string {
  const names = s.pairs.map((p) => `${p.pair.toLowerCase()}@${s.stream}`)
  return `${s.baseUrl}/stream?streams=${names.join('/')}`
}

/** Whether the stream carries ids that rise by one per trade (dedupe, gap detection and REST back-fill work). */
export function hasTradeIds(stream: string): stream is 'trade' | 'aggTrade' {
  return stream === 'trade' || stream === 'aggTrade'
}
