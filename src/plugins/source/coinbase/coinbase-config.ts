/**
 * The coinbase source's config: its JSON Schema (the single source for validation, `etl plugins` and docs) and the
 * settings derived from it and the environment, defaults applied once here.
 */
import {type Duration, durationSchema, parseDuration} from '../../../sdk/index.js'

export interface CoinbaseConfig {
  api?: 'exchange' | 'advanced'
  products?: string[]
  channel?: 'matches' | 'ticker'
  url?: string
  restUrl?: string
  backfill?: boolean
  maxBackfill?: number
  stallTimeout?: Duration
  flushInterval?: Duration
  timeout?: Duration
}

export const FEED_URL = 'wss://ws-feed.exchange.coinbase.com'
export const REST_URL = 'https://api.exchange.coinbase.com'
export const ADVANCED_FEED_URL = 'wss://advanced-trade-ws.coinbase.com'
export const ADVANCED_REST_URL = 'https://api.coinbase.com'
/** BASE-QUOTE in upper case, as Coinbase Exchange writes product ids (BTC-USD, ETH-USDT, SHIB-USDC). */
export const PRODUCT_PATTERN = '^[A-Z0-9]{1,12}-[A-Z0-9]{1,12}$'

export const configSchema = {
  type: 'object' as const,
  description:
    'Trades of Coinbase Exchange products from its WebSocket feed (`matches` + `heartbeat` channels): one record ' +
    'per trade, each exactly once and in trade-id order per product. Trades the feed dropped (found from trade ids ' +
    'and heartbeats) and those made while disconnected or stopped are back-filled from the REST ' +
    '/products/{id}/trades endpoint. With `channel: ticker`, one record per ticker instead (last price, best bid ' +
    'and ask, 24 h open/high/low/volume), each once by its sequence; tickers are snapshots, nothing is back-filled. ' +
    'With `api: advanced`, the same from Coinbase Advanced Trade market data (market_trades / ticker + heartbeats).',
  additionalProperties: false,
  properties: {
    api: {
      type: 'string',
      enum: ['exchange', 'advanced'],
      description:
        'exchange: Coinbase Exchange (ws-feed.exchange.coinbase.com: channels matches + heartbeat, REST ' +
        '/products/{id}/trades by trade id). advanced: Coinbase Advanced Trade market data ' +
        '(advanced-trade-ws.coinbase.com: channels market_trades or ticker + heartbeats, one subscribe per channel, ' +
        'public; REST /api/v3/brokerage/market/products/{id}/ticker by time). The records are the same either way.',
      default: 'exchange',
      examples: ['exchange', 'advanced'],
    },
    products: {
      type: 'array',
      description: 'Coinbase Exchange product ids, BASE-QUOTE in upper case.',
      items: {type: 'string', pattern: PRODUCT_PATTERN},
      minItems: 1,
      uniqueItems: true,
      default: ['BTC-USD'],
      examples: [['BTC-USD'], ['BTC-USD', 'ETH-USD']],
    },
    channel: {
      type: 'string',
      enum: ['matches', 'ticker'],
      description:
        'matches: every trade (the default; Advanced Trade calls the channel market_trades); ticker: the ticker of ' +
        'each product as the feed sends it (Exchange: on every match, with its sequence; Advanced: batched, ordered ' +
        'by the message time), with best bid and ask; backfill applies to matches only.',
      default: 'matches',
      examples: ['matches', 'ticker'],
    },
    url: {
      type: 'string',
      pattern: '^wss?://',
      description:
        `WebSocket feed. Default: env COINBASE_WS_URL, else ${FEED_URL}; with api: advanced env ` +
        `COINBASE_ADVANCED_WS_URL, else ${ADVANCED_FEED_URL}.`,
      examples: [FEED_URL, 'ws://127.0.0.1:8090'],
    },
    restUrl: {
      type: 'string',
      pattern: '^https?://',
      description:
        `REST root for back-fills. Default: env COINBASE_REST_URL, else ${REST_URL}; with api: advanced env ` +
        `COINBASE_ADVANCED_REST_URL, else ${ADVANCED_REST_URL}.`,
      examples: [REST_URL, 'http://127.0.0.1:8090'],
    },
    backfill: {
      type: 'boolean',
      description:
        'Fetch missing trades from REST (gaps in trade ids, downtime since the last run). Off: gaps are only ' +
        'counted (trades_missed) and logged with their size.',
      default: true,
      examples: [true, false],
    },
    maxBackfill: {
      type: 'integer',
      minimum: 1,
      maximum: 1_000_000,
      description:
        'Most trades fetched for one gap (1000 per request, paced under the public REST limit). The newest are ' +
        'kept; older missing trades are counted as trades_missed.',
      default: 10_000,
      examples: [10_000],
    },
    stallTimeout: durationSchema(
      'No message (heartbeats come every second per product) for this long on an open connection → reconnect.',
      '15s',
    ),
    flushInterval: durationSchema(
      'Trades are emitted (one Kafka transaction with the checkpoint) at most this long after they arrive.',
      '250ms',
    ),
    timeout: durationSchema('Limit for one REST request, body included.', '10s'),
    // `retry:` (reconnect backoff, REST retries) is the runtime's per-stage key: see context.retry.
  },
  examples: [
    {products: ['BTC-USD', 'ETH-USD']},
    {products: ['BTC-USD'], channel: 'ticker'},
    {api: 'advanced', products: ['BTC-USD']},
  ],
}

export function settings(config: CoinbaseConfig, env: NodeJS.ProcessEnv) {
  const trim = (url: string) => url.replace(/\/+$/, '')
  const api = config.api ?? 'exchange'
  const advanced = api === 'advanced'
  const feed = advanced ? env.COINBASE_ADVANCED_WS_URL || ADVANCED_FEED_URL : env.COINBASE_WS_URL || FEED_URL
  const rest = advanced ? env.COINBASE_ADVANCED_REST_URL || ADVANCED_REST_URL : env.COINBASE_REST_URL || REST_URL
  return {
    api,
    products: config.products ?? ['BTC-USD'],
    channel: config.channel ?? 'matches',
    url: trim(config.url || feed),
    restUrl: trim(config.restUrl || rest),
    backfill: config.backfill ?? true,
    maxBackfill: config.maxBackfill ?? 10_000,
    stallTimeoutMs: parseDuration(config.stallTimeout ?? '15s'),
    flushIntervalMs: parseDuration(config.flushInterval ?? '250ms'),
    timeoutMs: parseDuration(config.timeout ?? '10s'),
  }
}

export type CoinbaseSettings = ReturnType<typeof settings>
