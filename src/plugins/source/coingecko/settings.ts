/**
 * The coingecko source's config: its JSON Schema (the single source for validation, `etl plugins` and docs) and the
 * settings derived from it and the environment.
 */
import {type Duration, durationSchema, EtlError, type EtlRecord, parseDuration} from '../../../sdk/index.js'

export interface CoinGeckoConfig {
  coins?: string[]
  symbols?: Record<string, string>
  vsCurrencies?: string[]
  interval?: Duration
  apiKey?: string
  plan?: 'demo' | 'pro'
  baseUrl?: string
  includeMarketData?: boolean
  backfill?: Duration
  timeout?: Duration
}

export const PUBLIC_URL = 'https://api.coingecko.com/api/v3'
export const PRO_URL = 'https://pro-api.coingecko.com/api/v3'
export const KEY_HEADER = {demo: 'x-cg-demo-api-key', pro: 'x-cg-pro-api-key'} as const

/** Tickers for common ids: ids are not tickers ('binancecoin' is BNB) and /simple/price returns no symbol. */
const SYMBOLS: Record<string, string> = {
  bitcoin: 'BTC',
  ethereum: 'ETH',
  tether: 'USDT',
  binancecoin: 'BNB',
  solana: 'SOL',
  ripple: 'XRP',
  'usd-coin': 'USDC',
  cardano: 'ADA',
  dogecoin: 'DOGE',
  tron: 'TRX',
  polkadot: 'DOT',
  litecoin: 'LTC',
  chainlink: 'LINK',
  'avalanche-2': 'AVAX',
  'matic-network': 'MATIC',
  'shiba-inu': 'SHIB',
  'bitcoin-cash': 'BCH',
  stellar: 'XLM',
  monero: 'XMR',
  'the-open-network': 'TON',
  uniswap: 'UNI',
  'staked-ether': 'STETH',
  'wrapped-bitcoin': 'WBTC',
  dai: 'DAI',
}

export const configSchema = {
  type: 'object' as const,
  description: 'Polls CoinGecko /simple/price and emits one record per coin and quote currency.',
  additionalProperties: false,
  properties: {
    coins: {
      type: 'array',
      description: 'CoinGecko coin ids (not tickers: "bitcoin", not "BTC"); see /coins/list for all ids.',
      items: {type: 'string', minLength: 1, pattern: '^[^,\\s]+$'},
      minItems: 1,
      uniqueItems: true,
      default: ['bitcoin', 'ethereum'],
      examples: [['bitcoin'], ['bitcoin', 'ethereum', 'solana']],
    },
    symbols: {
      type: 'object',
      description: 'Ticker for `symbol` per coin id; common coins are built in, others get the id in upper case.',
      additionalProperties: {type: 'string', minLength: 1},
      examples: [{bitcoin: 'BTC', 'my-token': 'MYT'}],
    },
    vsCurrencies: {
      type: 'array',
      description: 'Quote currencies; each gives a `price_<currency>` field, e.g. price_usd.',
      items: {type: 'string', pattern: '^[A-Za-z0-9]+$'},
      minItems: 1,
      uniqueItems: true,
      default: ['usd'],
      examples: [['usd'], ['usd', 'eur']],
    },
    interval: durationSchema('Time between polls, on a fixed grid so slow answers do not drift it.', '60s'),
    apiKey: {
      type: 'string',
      description:
        'CoinGecko API key (redacted in logs). Default: the COINGECKO_API_KEY environment variable; without a key ' +
        'the public demo API still answers, at a low, shared rate limit.',
      examples: ['${COINGECKO_API_KEY}'],
    },
    plan: {
      type: 'string',
      enum: ['demo', 'pro'],
      description: 'Key kind: demo sends x-cg-demo-api-key; pro sends x-cg-pro-api-key and uses the Pro host.',
      default: 'demo',
      examples: ['demo', 'pro'],
    },
    baseUrl: {
      type: 'string',
      pattern: '^https?://',
      description: `API root. Default: env COINGECKO_BASE_URL, else ${PUBLIC_URL} (${PRO_URL} for plan pro).`,
      examples: [PUBLIC_URL, 'http://127.0.0.1:8089/api/v3'],
    },
    includeMarketData: {
      type: 'boolean',
      description: 'Also emit market_cap_<currency>, volume_24h_<currency> and change_24h_pct.',
      default: true,
      examples: [true, false],
    },
    timeout: durationSchema('Limit for one HTTP request, body included.', '10s'),
    backfill: {
      ...durationSchema(
        'History to emit before polling starts, from /coins/{id}/market_chart (5-minute points up to 1 day back, ' +
          'hourly up to 90 days, daily beyond; Demo keys reach 365 days). A restart only fetches what it has not ' +
          'emitted yet, so history is never repeated. Absent or 0: no backfill.',
      ),
      examples: ['24h', '7d', '90d'],
    },
    // `retry:` (429, 5xx, network, timeout, bad body) is the runtime's per-stage key: see context.retry.
  },
  examples: [{coins: ['bitcoin', 'ethereum'], vsCurrencies: ['usd'], interval: '60s'}],
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
export const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value)
export const isPositive = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0

export type Pending = {record: EtlRecord; key: string; updatedAt?: number}

export function settings(config: CoinGeckoConfig, env: NodeJS.ProcessEnv) {
  const plan = config.plan ?? 'demo'
  const apiKey = config.apiKey || env.COINGECKO_API_KEY || undefined
  const intervalMs = parseDuration(config.interval ?? '60s')
  if (intervalMs <= 0) throw new EtlError('ETL_CONFIG_INVALID', 'coingecko: interval must be greater than zero')
  const noKey = 'coingecko: plan "pro" needs an API key: set COINGECKO_API_KEY or `apiKey`'
  if (plan === 'pro' && !apiKey) throw new EtlError('ETL_CONFIG_INVALID', noKey)
  return {
    plan,
    apiKey,
    intervalMs,
    coins: config.coins ?? ['bitcoin', 'ethereum'],
    vsCurrencies: (config.vsCurrencies ?? ['usd']).map((vs) => vs.toLowerCase()),
    symbols: {...SYMBOLS, ...config.symbols},
    baseUrl: (config.baseUrl || env.COINGECKO_BASE_URL || (plan === 'pro' ? PRO_URL : PUBLIC_URL)).replace(/\/+$/, ''),
    includeMarketData: config.includeMarketData ?? true,
    backfillMs: config.backfill === undefined ? 0 : parseDuration(config.backfill),
    timeoutMs: parseDuration(config.timeout ?? '10s'),
  }
}

export type Settings = ReturnType<typeof settings>

/** The `symbol` field for a coin id: configured or built in, else the id in upper case. */
export function symbolOf(s: Settings, id: string): string {
  return Object.hasOwn(s.symbols, id) ? s.symbols[id] : id.toUpperCase()
}
