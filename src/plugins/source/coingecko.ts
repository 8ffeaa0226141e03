/**
 * Source: polls CoinGecko's /simple/price and emits one record per coin × currency, stamped with CoinGecko's own
 * `last_updated_at` (event time, not fetch time) so windows downstream line up with when the price was true.
 * CoinGecko caches prices (~60 s on Demo), so polls often repeat a price: those are skipped, not re-emitted.
 */
import {parseDuration, durationSchema, formatDuration, type Duration} from '../../runtime/duration.js'
import {EtlError} from '../../runtime/errors.js'
import {fetchJsonWithRetry} from '../../runtime/http-fetch.js'
import {registerSecret} from '../../runtime/logger.js'
import {definePlugin, type EtlRecord, type PluginContext, type SourceEmitter} from '../../runtime/plugin-types.js'
import {sleep} from '../../runtime/retry.js'

export interface CoinGeckoConfig {
  coins?: string[]
  symbols?: Record<string, string>
  vsCurrencies?: string[]
  interval?: Duration
  apiKey?: string
  plan?: 'demo' | 'pro'
  baseUrl?: string
  includeMarketData?: boolean
  timeout?: Duration
  retry?: {maxAttempts?: number; initialDelay?: Duration; maxDelay?: Duration}
}

const PUBLIC_URL = 'https://api.coingecko.com/api/v3'
const PRO_URL = 'https://pro-api.coingecko.com/api/v3'
const KEY_HEADER = {demo: 'x-cg-demo-api-key', pro: 'x-cg-pro-api-key'} as const

/** Tickers for common ids: ids are not tickers ('binancecoin' is BNB) and /simple/price returns no symbol. */
const SYMBOLS: Record<string, string> = {
  bitcoin: 'BTC', ethereum: 'ETH', tether: 'USDT', binancecoin: 'BNB', solana: 'SOL', ripple: 'XRP',
  'usd-coin': 'USDC', cardano: 'ADA', dogecoin: 'DOGE', tron: 'TRX', polkadot: 'DOT', litecoin: 'LTC',
  chainlink: 'LINK', 'avalanche-2': 'AVAX', 'matic-network': 'MATIC', 'shiba-inu': 'SHIB', 'bitcoin-cash': 'BCH',
  stellar: 'XLM', monero: 'XMR', 'the-open-network': 'TON', uniswap: 'UNI', 'staked-ether': 'STETH',
  'wrapped-bitcoin': 'WBTC', dai: 'DAI',
}

const configSchema = {
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
    retry: {
      type: 'object',
      description: 'Retries of a failed poll (429, 5xx, network, timeout, bad body): backoff, jitter, Retry-After.',
      additionalProperties: false,
      properties: {
        maxAttempts: {
          type: 'integer',
          minimum: 0,
          description:
            'Attempts per poll: 0 retries for as long as the pipeline runs; N > 0 stops the pipeline with ' +
            'ETL_SOURCE_HTTP after N failures in a row.',
          default: 0,
          examples: [0, 5],
        },
        initialDelay: durationSchema('Wait before the first retry; doubles per attempt.', '1s'),
        maxDelay: durationSchema('Longest backoff (a longer Retry-After wins, up to 10 minutes).', '60s'),
      },
      default: {maxAttempts: 0, initialDelay: '1s', maxDelay: '60s'},
      examples: [{maxAttempts: 0, initialDelay: '1s', maxDelay: '60s'}],
    },
  },
  examples: [{coins: ['bitcoin', 'ethereum'], vsCurrencies: ['usd'], interval: '60s'}],
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value)
const isPositive = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0

type Pending = {record: EtlRecord; key: string; updatedAt?: number}

function settings(config: CoinGeckoConfig, env: NodeJS.ProcessEnv) {
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
    timeoutMs: parseDuration(config.timeout ?? '10s'),
    retry: {
      maxAttempts: config.retry?.maxAttempts ?? 0,
      initialDelayMs: parseDuration(config.retry?.initialDelay ?? '1s'),
      maxDelayMs: parseDuration(config.retry?.maxDelay ?? '60s'),
    },
  }
}

function create(config: CoinGeckoConfig, ctx: PluginContext) {
  const s = settings(config, process.env)
  registerSecret(s.apiKey)
  const {logger, count} = ctx
  const query = [
    `ids=${s.coins.map(encodeURIComponent).join(',')}`,
    `vs_currencies=${s.vsCurrencies.join(',')}`,
    'include_last_updated_at=true',
    'precision=full',
    ...(s.includeMarketData ? ['include_market_cap=true', 'include_24hr_vol=true', 'include_24hr_change=true'] : []),
  ]
  const url = `${s.baseUrl}/simple/price?${query.join('&')}`
  const headers: Record<string, string> = {'user-agent': 'etl (coingecko source)'}
  if (s.apiKey) headers[KEY_HEADER[s.plan]] = s.apiKey
  const other = s.plan === 'pro' ? 'demo' : 'pro'
  const authHint = `Set COINGECKO_API_KEY (or \`apiKey\`); a ${other} key also needs \`plan: ${other}\`.`
  const lastEmitted = new Map<string, number>()
  const warned = new Set<string>()
  const warnOnce = (key: string, message: string, fields: Record<string, unknown>) => {
    if (warned.has(key)) return
    warned.add(key)
    logger.warn(message, fields)
  }
  const marketValue = (value: unknown): number | null => {
    if (typeof value === 'number' && Number.isFinite(value)) return value
    count('missing_market_data')
    return null
  }

  function toRecords(body: Record<string, unknown>, fetchedAt: number): Pending[] {
    const out: Pending[] = []
    for (const id of s.coins) {
      const entry = Object.hasOwn(body, id) ? body[id] : undefined // ids like 'constructor' must not hit Object
      if (entry === undefined) {
        count('unknown_coin_id')
        const message = `unknown coin id "${id}": CoinGecko returned nothing for it (ids are not tickers)`
        warnOnce(`unknown:${id}`, message, {coin: id})
        continue
      }
      if (!isObject(entry)) {
        count('rejected_invalid_entry', s.vsCurrencies.length)
        logger.warn(`rejected CoinGecko entry for "${id}": not an object`, {coin: id, value: JSON.stringify(entry)})
        continue
      }
      const raw = entry.last_updated_at
      const updatedAt = isPositive(raw) ? raw : undefined
      if (updatedAt === undefined) {
        count('missing_last_updated_at')
        warnOnce(`time:${id}`, `CoinGecko sent no usable last_updated_at for "${id}"; using fetch time instead`, {
          coin: id,
          value: JSON.stringify(raw),
        })
      }
      for (const vs of s.vsCurrencies) {
        const price = entry[vs]
        if (price === undefined) {
          count('missing_price')
          warnOnce(`price:${id}/${vs}`, `CoinGecko sent no ${vs} price for "${id}"`, {coin: id, vs})
          continue
        }
        if (!isPositive(price)) {
          count('rejected_invalid_price')
          const value = JSON.stringify(price) ?? String(price)
          logger.warn(`rejected ${id} ${vs} price: not a finite number > 0`, {coin: id, vs, value})
          continue
        }
        const key = `${id}/${vs}`
        if (updatedAt !== undefined && lastEmitted.get(key) === updatedAt) {
          count('duplicate_skipped')
          logger.debug(`skipped ${key}: last_updated_at unchanged`, {last_updated_at: updatedAt})
          continue
        }
        const record: EtlRecord = {
          symbol: Object.hasOwn(s.symbols, id) ? s.symbols[id] : id.toUpperCase(),
          [`price_${vs}`]: price,
          timestamp: new Date(updatedAt === undefined ? fetchedAt : updatedAt * 1000).toISOString(),
          coin_id: id,
          vs_currency: vs,
          source: 'coingecko',
        }
        if (s.includeMarketData) {
          record[`market_cap_${vs}`] = marketValue(entry[`${vs}_market_cap`])
          record[`volume_24h_${vs}`] = marketValue(entry[`${vs}_24h_vol`])
          record.change_24h_pct = marketValue(entry[`${vs}_24h_change`])
        }
        out.push({record, key, updatedAt})
      }
    }
    return out
  }

  async function poll(emit: SourceEmitter, signal: AbortSignal): Promise<void> {
    const body = await fetchJsonWithRetry(url, {
      headers,
      timeoutMs: s.timeoutMs,
      retry: s.retry,
      signal,
      logger,
      count,
      describe: 'CoinGecko /simple/price',
      authHint,
      check: (value) => (isObject(value) ? undefined : `expected a JSON object, got ${kindOf(value)}`),
    })
    if (body === undefined) return
    const pending = toRecords(body as Record<string, unknown>, Date.now())
    if (pending.length === 0) return
    // A batch already fetched is emitted even if shutdown began meanwhile: the runtime awaits run() before closing.
    await emit(pending.map((p) => p.record))
    for (const p of pending) if (p.updatedAt !== undefined) lastEmitted.set(p.key, p.updatedAt)
  }

  return {
    async run(emit: SourceEmitter, runSignal: AbortSignal): Promise<void> {
      const signal = AbortSignal.any([runSignal, ctx.signal])
      logger.info(`polling CoinGecko every ${formatDuration(s.intervalMs)}`, {
        coins: s.coins.join(','),
        vs: s.vsCurrencies.join(','),
        plan: s.plan,
        key: s.apiKey ? 'set' : 'none',
        baseUrl: s.baseUrl,
      })
      const start = Date.now()
      let tick = 0
      while (!signal.aborted) {
        await poll(emit, signal)
        if (signal.aborted) break
        // Ticks sit on a fixed grid from the start; ticks a slow poll overran are skipped, not fired in a burst.
        const due = Math.floor((Date.now() - start) / s.intervalMs) + 1
        if (due > tick + 1) {
          count('poll_ticks_skipped', due - tick - 1)
          logger.debug(`poll overran ${due - tick - 1} tick(s); skipping them`)
        }
        tick = due
        await sleep(start + tick * s.intervalMs - Date.now(), signal)
      }
    },
  }
}

export default definePlugin<'source', CoinGeckoConfig>({
  name: 'coingecko',
  kind: 'source',
  summary: 'Polls CoinGecko for coin prices (and market data) and emits one record per coin and currency.',
  secrets: ['apiKey'],
  configSchema,
  create,
})
