/**
 * A local look-alike of CoinGecko's API v3 (shapes from shared/reference/coingecko.md), so tests and demos run the
 * real coingecko source without internet. Prices are deterministic; faults (429, 5xx, 401, broken bodies, hangs) are
 * queued and consumed one per /simple/price request, so a test states exactly which poll fails and how.
 */
import {createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

/**
 * One answer to break. Retry-After is sent as delta-seconds, or with `retryAfterFormat: 'date'` as an HTTP date that
 * many seconds ahead. `malformed` corrupts the first coin of a 200 answer (or the whole body: truncated, html,
 * error-200, not-object); `huge-price` sends the literal 1e400, which JSON.parse turns into Infinity.
 */
export type Fault =
  | {status: 429; retryAfter?: number; retryAfterFormat?: 'seconds' | 'date'; body: 'json' | 'html'}
  | {status: 500 | 502 | 503}
  | {status: 401; echoKey?: boolean}
  | {malformed: Malformation}
  | {hangMs: number}

export type Malformation =
  | 'truncated'
  | 'html'
  | 'error-200'
  | 'not-object'
  | 'wrong-types'
  | 'negative-price'
  | 'nan-price'
  | 'huge-price'
  | 'bad-market-data'
  | 'future-time'
  | 'ancient-time'

/** Faults for /coins/{id}/market_chart: `bad-points` makes BAD_CHART_POINTS points unusable between good ones. */
export type ChartFault =
  | {status: 429; retryAfter?: number; body: 'json' | 'html'}
  | {status: 500 | 502 | 503}
  | {malformed: 'truncated' | 'html' | 'no-prices' | 'bad-points'}
  | {hangMs: number}

/** How many market_chart points `bad-points` breaks (besides one negative market cap, which only nulls it). */
export const BAD_CHART_POINTS = 7

export interface FakeRequest {
  method: string
  /** Path below the API root, e.g. '/simple/price'. */
  path: string
  query: Record<string, string>
  headers: IncomingHttpHeaders
  /** Date.now() when the request arrived. */
  at: number
  /** The Retry-After header of the answer, when a fault sent one. */
  retryAfter?: string
}

/** One coin × currency of a 200 /simple/price JSON body, as sent (`valid: false` when a fault corrupted it). */
export interface ServedPrice {
  coin_id: string
  vs: string
  price: unknown
  last_updated_at: unknown
  market_cap?: number
  volume_24h?: number
  change_24h?: number
  valid: boolean
}

export interface FakeCoinGeckoOptions {
  port?: number
  host?: string
  /** Advance every price after each successful /simple/price answer, so every poll sees a new last_updated_at. */
  auto?: boolean
  /** Answer 401 unless the request carries the key header of `plan` (with value `apiKey` when that is set). */
  requireKey?: boolean
  apiKey?: string
  plan?: 'demo' | 'pro'
  /** Unix seconds of the first last_updated_at (default: now), and the step `advance()` adds (default 60). */
  startTime?: number
  stepSeconds?: number
}

export interface FakeCoinGecko {
  baseUrl: string
  requests: FakeRequest[]
  served: ServedPrice[]
  /** Sets one coin × currency (adding the coin if unknown); last_updated_at is per coin, as in CoinGecko. */
  setPrice(id: string, vs: string, price: number, lastUpdatedAt?: number): void
  /** Moves every coin to a new price and last_updated_at + stepSeconds (deterministic). */
  advance(): void
  enqueue(...faults: Fault[]): void
  /** Faults for market_chart requests, consumed one per request like enqueue's. */
  enqueueChart(...faults: ChartFault[]): void
  close(): Promise<void>
}

const USD: Record<string, [symbol: string, name: string, usd: number, supply: number]> = {
  bitcoin: ['btc', 'Bitcoin', 67187.3358936566, 19_680_000],
  ethereum: ['eth', 'Ethereum', 3456.781234567, 120_100_000],
  tether: ['usdt', 'Tether', 1.000321, 110_000_000_000],
  binancecoin: ['bnb', 'BNB', 581.2345678, 147_600_000],
  solana: ['sol', 'Solana', 172.4567891, 446_000_000],
  ripple: ['xrp', 'XRP', 0.6123456789, 55_000_000_000],
  'usd-coin': ['usdc', 'USDC', 0.9998765, 33_000_000_000],
  cardano: ['ada', 'Cardano', 0.4512345678, 35_300_000_000],
  dogecoin: ['doge', 'Dogecoin', 0.1623456789, 144_000_000_000],
}
const RATES: Record<string, number> = {usd: 1, eur: 0.9213, gbp: 0.7891, jpy: 151.37, btc: 1.48838e-5, eth: 2.89286e-4}
const RATE_LIMIT = "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe."
const HTML_429 =
  '<html><head><title>429 Too Many Requests</title></head><body><center><h1>429 Too Many Requests</h1>' +
  '</center><hr><center>cloudflare</center></body></html>'
const HTML_PAGE = '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking…</body></html>'
/** Stands for a number too large for a double: replaced by the literal 1e400 after JSON.stringify. */
const HUGE = '__fake_coingecko_huge__'
const withHuge = (text: string) => text.split(`"${HUGE}"`).join('1e400')
const DAY_S = 86_400

type Coin = {symbol: string; name: string; supply: number; change: number} & {
  prices: Record<string, number>
  lastUpdatedAt: number
}

export async function startFakeCoinGecko(options: FakeCoinGeckoOptions = {}): Promise<FakeCoinGecko> {
  const step = options.stepSeconds ?? 60
  const start = options.startTime ?? Math.floor(Date.now() / 1000)
  const coins = new Map<string, Coin>()
  for (const [id, [symbol, name, usd, supply]] of Object.entries(USD)) {
    const prices = Object.fromEntries(Object.entries(RATES).map(([vs, rate]) => [vs, usd * rate]))
    coins.set(id, {symbol, name, supply, prices, lastUpdatedAt: start, change: 1.25})
  }
  const requests: FakeRequest[] = []
  const served: ServedPrice[] = []
  const faults: Fault[] = []
  const chartFaults: ChartFault[] = []
  const timers = new Set<NodeJS.Timeout>()
  let advances = 0
  function advance(): void {
    advances++
    let index = 0
    for (const coin of coins.values()) {
      // -5..-1 or 1..5 tenths of a percent: always a change, deterministic, never negative
      let delta = ((advances * 7 + index++ * 3) % 10) - 5
      if (delta >= 0) delta++
      for (const vs of Object.keys(coin.prices)) coin.prices[vs] *= 1 + delta * 0.001
      coin.change = +(coin.change + delta * 0.07).toFixed(6)
      coin.lastUpdatedAt += step
    }
  }

  function setPrice(id: string, vs: string, price: number, lastUpdatedAt?: number): void {
    const coin = coins.get(id) ?? {symbol: id, name: id, supply: 1e6, change: 0, prices: {}, lastUpdatedAt: start}
    coins.set(id, coin)
    coin.prices[vs] = price
    if (lastUpdatedAt !== undefined) coin.lastUpdatedAt = lastUpdatedAt
  }

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : withHuge(JSON.stringify(body))
    const type = typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8'
    res.writeHead(status, {'content-type': type, 'content-length': Buffer.byteLength(text), ...headers}).end(text)
  }
  // precision=full sends the raw float; a digit count rounds to it; without precision, cents (8 places below 1)
  const round = (value: number, precision?: string) => {
    if (precision === 'full') return value
    if (precision && /^\d+$/.test(precision)) return +value.toFixed(Math.min(18, +precision))
    return +value.toFixed(value >= 1 ? 2 : 8)
  }

  function authProblem(req: IncomingMessage, query: Record<string, string>) {
    if (!options.requireKey) return undefined
    const plan = options.plan ?? 'demo'
    const other = plan === 'demo' ? 'pro' : 'demo'
    const key = (req.headers[`x-cg-${plan}-api-key`] as string | undefined) ?? query[`x_cg_${plan}_api_key`]
    if (!key && (req.headers[`x-cg-${other}-api-key`] || query[`x_cg_${other}_api_key`])) {
      const [kind, from, to] = plan === 'demo' ? ['Pro', '', 'pro-'] : ['Demo', 'pro-', '']
      const message =
        `If you are using ${kind} API key, please change your root URL from ${from}api.coingecko.com ` +
        `to ${to}api.coingecko.com`
      return {code: plan === 'demo' ? 10010 : 10011, message}
    }
    if (!key) return {code: 10002, message: 'API Key Missing. Please make sure you are using the right API key header.'}
    if (options.apiKey !== undefined && key !== options.apiKey) return {code: 10002, message: 'Invalid API Key.'}
    return undefined
  }
  const unauthorized = (res: ServerResponse, code = 10002, message = 'API Key Missing.'): void =>
    send(res, 401, {status: {timestamp: new Date().toISOString(), error_code: code, error_message: message}})

  function simplePrice(res: ServerResponse, query: Record<string, string>, fault: Fault | undefined): void {
    if (!query.vs_currencies) return send(res, 400, {error: 'Missing parameter vs_currencies'})
    if (!query.ids) return send(res, 400, {error: 'Missing parameter ids'})
    const ids = query.ids
      .split(',')
      .map((id) => id.trim().toLowerCase())
      .filter((id) => coins.has(id))
    const vsList = query.vs_currencies.split(',').map((vs) => vs.trim().toLowerCase())
    const flag = (name: string) => query[name] === 'true'
    const malformed = fault && 'malformed' in fault ? fault.malformed : undefined
    const body: Record<string, Record<string, unknown>> = {}
    const entries: ServedPrice[] = []
    ids.forEach((id, index) => {
      const coin = coins.get(id)!
      const out: Record<string, unknown> = {}
      const corrupt = index === 0 && malformed !== undefined
      for (const vs of vsList) {
        const price = coin.prices[vs]
        if (price === undefined) continue
        let sent: unknown = round(price, query.precision)
        if (corrupt && malformed === 'wrong-types') sent = String(sent)
        if (corrupt && malformed === 'negative-price') sent = -(sent as number)
        if (corrupt && malformed === 'nan-price') sent = null // what JSON.stringify makes of NaN
        if (corrupt && malformed === 'huge-price') sent = HUGE
        out[vs] = sent
        // Bad market data or a bad time still leaves a usable price: that record is expected (valid).
        const priceBroken = corrupt && ['wrong-types', 'negative-price', 'nan-price', 'huge-price'].includes(malformed!)
        const shown = sent === HUGE ? Infinity : sent
        const entry: ServedPrice = {
          coin_id: id,
          vs,
          price: shown,
          last_updated_at: coin.lastUpdatedAt,
          valid: !priceBroken,
        }
        const badMarket = corrupt && malformed === 'bad-market-data'
        const cap = round(price * coin.supply, query.precision) * (badMarket ? -1 : 1)
        const volume = badMarket ? 'lots' : round(price * coin.supply * 0.03, query.precision)
        const change = badMarket ? null : coin.change
        if (flag('include_market_cap')) out[`${vs}_market_cap`] = entry.market_cap = cap
        if (flag('include_24hr_vol')) out[`${vs}_24h_vol`] = entry.volume_24h = volume as number
        if (flag('include_24hr_change')) out[`${vs}_24h_change`] = entry.change_24h = change as number
        entries.push(entry)
      }
      if (flag('include_last_updated_at')) {
        const asText = corrupt && malformed === 'wrong-types'
        out.last_updated_at = asText ? new Date(coin.lastUpdatedAt * 1000).toISOString() : coin.lastUpdatedAt
        if (corrupt && malformed === 'future-time') out.last_updated_at = Math.floor(Date.now() / 1000) + 10 * DAY_S
        if (corrupt && malformed === 'ancient-time') out.last_updated_at = 1_000_000_000 // 2001, before Bitcoin
        for (const entry of entries) if (entry.coin_id === id) entry.last_updated_at = out.last_updated_at
      }
      body[id] = out
    })
    if (malformed === 'html') return send(res, 200, HTML_PAGE)
    if (malformed === 'error-200') return send(res, 200, {status: {error_code: 429, error_message: RATE_LIMIT}})
    if (malformed === 'not-object') return send(res, 200, [body])
    if (malformed === 'truncated') {
      const text = JSON.stringify(body)
      const cut = text.slice(0, Math.max(1, Math.floor(text.length / 2)))
      return send(res, 200, cut, {'content-type': 'application/json; charset=utf-8'})
    }
    if (res.destroyed || !res.socket || res.socket.destroyed) return // the client gave up while we hung
    send(res, 200, body)
    served.push(...entries)
    if (options.auto) advance()
  }

  const series = (coin: Coin, vs: string, days: number, stepMs: number) => {
    const now = Date.now()
    const points = Math.max(1, Math.ceil((days * 86_400_000) / stepMs))
    const last = Math.floor(now / stepMs) * stepMs
    const price = (t: number) => coin.prices[vs] * (1 + 0.02 * Math.sin(t / (stepMs * 37)))
    const times = Array.from({length: points}, (_, i) => last - (points - 1 - i) * stepMs).filter((t) => t < now)
    return {now, times: [...times, now], price: (t: number) => (t === now ? coin.prices[vs] : price(t))}
  }

  /**
   * market_chart's `bad-points`: points 1–7 become unusable (null, negative, a string, 5 days ahead, seconds instead
   * of milliseconds, not a pair, 1e400) and market cap 8 negative; the rest stay good.
   */
  function breakPoints(chart: Record<string, [number, unknown][]>): void {
    const {prices, market_caps: caps} = chart
    if (prices.length < 10) return
    const t = (i: number) => prices[i][0]
    prices[1] = [t(1), null]
    prices[2] = [t(2), -5]
    prices[3] = [t(3), String(prices[3][1])]
    prices[4] = [Date.now() + 5 * DAY_S * 1000, prices[4][1]]
    prices[5] = [Math.floor(t(5) / 1000), prices[5][1]]
    ;(prices as unknown[])[6] = 'garbage'
    prices[7] = [t(7), HUGE]
    caps[8] = [caps[8][0], -1]
  }

  function coinRoute(
    res: ServerResponse,
    id: string,
    action: string,
    query: Record<string, string>,
    fault?: ChartFault,
  ): void {
    const coin = coins.get(id)
    if (!coin) return send(res, 404, {error: 'coin not found'})
    const vs = (query.vs_currency ?? '').toLowerCase()
    if (!vs) return send(res, 400, {error: 'Missing parameter vs_currency'})
    if (!(vs in coin.prices)) return send(res, 400, {error: 'invalid vs_currency'})
    const days = query.days === 'max' ? 365 * 5 : Number(query.days)
    if (!(days > 0)) return send(res, 400, {error: 'invalid days'})
    if (action === 'market_chart') {
      const stepMs = days <= 1 ? 300_000 : days <= 90 ? 3_600_000 : 86_400_000
      const {times, price} = series(coin, vs, days, stepMs)
      const point = (f: (t: number) => number) => times.map((t): [number, unknown] => [t, f(t)])
      const chart = {
        prices: point(price),
        market_caps: point((t) => price(t) * coin.supply),
        total_volumes: point((t) => price(t) * coin.supply * 0.03),
      }
      const malformed = fault && 'malformed' in fault ? fault.malformed : undefined
      if (malformed === 'bad-points') breakPoints(chart)
      if (malformed === 'html') return send(res, 200, HTML_PAGE)
      if (malformed === 'no-prices') return send(res, 200, {market_caps: chart.market_caps})
      if (malformed === 'truncated') {
        const text = JSON.stringify(chart)
        return send(res, 200, text.slice(0, Math.floor(text.length / 2)), {
          'content-type': 'application/json; charset=utf-8',
        })
      }
      return send(res, 200, chart)
    }
    if (action !== 'ohlc') return send(res, 404, {error: 'Incorrect path'})
    const allowed = [1, 7, 14, 30, 90, 180, 365].includes(days) || query.days === 'max'
    if (!allowed) return send(res, 400, {error: 'invalid days'})
    const stepMs = days <= 2 ? 1_800_000 : days <= 30 ? 14_400_000 : 345_600_000
    const {times, price} = series(coin, vs, days, stepMs)
    const candles = times.slice(0, -1).map((close) => {
      const samples = [0, 0.25, 0.5, 0.75, 1].map((f) => price(close - stepMs + f * stepMs))
      return [close, samples[0], Math.max(...samples), Math.min(...samples), samples[4]]
    })
    return send(res, 200, candles)
  }

  function markets(res: ServerResponse, query: Record<string, string>): void {
    const vs = (query.vs_currency ?? '').toLowerCase()
    if (!vs) return send(res, 400, {error: 'Missing parameter vs_currency'})
    const wanted = query.ids ? query.ids.split(',').map((id) => id.trim()) : [...coins.keys()]
    const list = wanted
      .filter((id) => coins.get(id)?.prices[vs] !== undefined)
      .map((id) => {
        const coin = coins.get(id)!
        const price = coin.prices[vs]
        const [cap, volume] = [price * coin.supply, price * coin.supply * 0.03]
        return {
          id,
          symbol: coin.symbol,
          name: coin.name,
          image: `https://assets.coingecko.com/coins/images/1/large/${id}.png`,
          current_price: price,
          market_cap: cap,
          market_cap_rank: 0,
          total_volume: volume,
          high_24h: price * 1.02,
          low_24h: price * 0.98,
          price_change_24h: (price * coin.change) / 100,
          price_change_percentage_24h: coin.change,
          circulating_supply: coin.supply,
          total_supply: coin.supply,
          max_supply: null,
          ath: price * 1.1,
          atl: price * 0.01,
          roi: null,
          last_updated: new Date(coin.lastUpdatedAt * 1000).toISOString(),
        }
      })
    list.sort((a, b) => b.market_cap - a.market_cap).forEach((item, index) => (item.market_cap_rank = index + 1))
    send(res, 200, list)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname.replace(/^\/api\/v3/, '')
    const query = Object.fromEntries(url.searchParams)
    requests.push({method: req.method ?? 'GET', path, query, headers: req.headers, at: Date.now()})
    if (path === '/ping') return send(res, 200, {gecko_says: '(V3) To the Moon!'})
    const fault =
      path === '/simple/price' ? faults.shift() : path.endsWith('/market_chart') ? chartFaults.shift() : undefined
    if (fault && 'hangMs' in fault) await new Promise((resolve) => timers.add(setTimeout(resolve, fault.hangMs)))
    if (fault && 'status' in fault) {
      if (fault.status === 401) {
        // Some APIs quote the key they refused: the source must never pass such a body on unredacted.
        const sent = [req.headers['x-cg-demo-api-key'], req.headers['x-cg-pro-api-key']].find(
          (key) => typeof key === 'string',
        )
        return fault.echoKey ? unauthorized(res, 10002, `Invalid API Key: ${String(sent)}`) : unauthorized(res)
      }
      if (fault.status !== 429) return send(res, fault.status, {error: 'Internal Server Error'})
      const headers: Record<string, string> = {}
      if (fault.retryAfter !== undefined) {
        const date = 'retryAfterFormat' in fault && fault.retryAfterFormat === 'date'
        headers['retry-after'] = date
          ? new Date(Date.now() + fault.retryAfter * 1000).toUTCString()
          : String(fault.retryAfter)
        requests[requests.length - 1].retryAfter = headers['retry-after']
      }
      const body = fault.body === 'html' ? HTML_429 : {status: {error_code: 429, error_message: RATE_LIMIT}}
      return send(res, 429, body, headers)
    }
    const problem = authProblem(req, query)
    if (problem) return unauthorized(res, problem.code, problem.message)
    if (path === '/simple/price') return simplePrice(res, query, fault as Fault | undefined)
    if (path === '/coins/markets') return markets(res, query)
    const match = /^\/coins\/([^/]+)\/([^/]+)$/.exec(path)
    if (match) return coinRoute(res, decodeURIComponent(match[1]), match[2], query, fault as ChartFault | undefined)
    send(res, 404, {error: 'Incorrect path. Please check https://www.coingecko.com/api/documentation'})
  }

  const server = createServer((req, res) => void handle(req, res).catch((e) => send(res, 500, {error: String(e)})))
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    baseUrl: `http://${options.host ?? '127.0.0.1'}:${port}/api/v3`,
    requests,
    served,
    setPrice,
    advance,
    enqueue: (...more) => void faults.push(...more),
    enqueueChart: (...more) => void chartFaults.push(...more),
    async close() {
      for (const timer of timers) clearTimeout(timer)
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
