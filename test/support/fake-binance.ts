/**
 * A local look-alike of Binance Spot's market streams and the REST trade endpoints (shapes from
 * shared/reference/exchanges.md §1), WebSocket and HTTP on one port, so tests run the real binance source without
 * internet. Combined streams (`/stream?streams=`) wrap events as {stream, data}; raw `/ws/<name>` sends them bare;
 * SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS are answered; the server pings and cuts clients that do not pong or
 * send more than 5 frames a second (close 1008). Trades are deterministic and kept, so REST back-fills (fromId,
 * limit) return exactly what the stream would have sent. Tests break the feed on purpose: drop every connection
 * without a close frame, stall (pings go on, data stops), make trades without sending them (a gap REST can fill),
 * skip ids altogether (a gap REST confirms), replay old trades to the next connection, send malformed frames.
 */
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {WebSocketServer, type WebSocket} from 'ws'

export interface FakeTrade {
  symbol: string
  id: number
  price: string
  qty: string
  /** Trade time, epoch ms. */
  time: number
  isBuyerMaker: boolean
}

export interface FakeBinanceOptions {
  port?: number
  /** Pairs REST knows (others answer -1121 Invalid symbol.). Default BTCUSDT, ETHUSDT, ETHBTC. */
  symbols?: string[]
  /** Server ping interval (Binance: 20 s) and how long a pong may take (Binance: 1 min). */
  pingIntervalMs?: number
  pongTimeoutMs?: number
  /** First trade id per pair (default 1000). */
  firstId?: number
  /** Trade times: `fixed` (default) makes them from the id, reproducible; `wall` stamps each trade with now (bench). */
  clock?: 'fixed' | 'wall'
}

export interface FakeRequest {
  path: string
  query: Record<string, string>
}

interface Client {
  socket: WebSocket
  streams: Set<string>
  combined: boolean
  stalled: boolean
  frames: number[]
}

export interface ServeOptions {
  /** Trades per second (default 500). */
  perSecond?: number
  /** Called before the trade with this 0-based index of this serve() call is made: faults at known points. */
  at?: Record<number, () => void>
}

export class FakeBinance {
  readonly requests: FakeRequest[] = []
  /** WebSocket connections accepted so far. */
  connections = 0
  private readonly trades = new Map<string, FakeTrade[]>()
  private readonly nextId = new Map<string, number>()
  private readonly clients = new Set<Client>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private withheld = 0
  private replayNext = 0
  private wss!: WebSocketServer
  private server = createServer((req, res) => this.rest(req, res))
  port = 0

  constructor(private readonly options: FakeBinanceOptions = {}) {}

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`
  }

  get restUrl(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async start(): Promise<this> {
    this.wss = new WebSocketServer({server: this.server})
    this.wss.on('connection', (socket, request) => this.accept(socket, request))
    await new Promise<void>((resolve) => this.server.listen(this.options.port ?? 0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  /** Every trade made so far for a pair, in id order (what REST serves). */
  history(symbol: string): FakeTrade[] {
    return this.trades.get(symbol) ?? []
  }

  openConnections(): number {
    return this.clients.size
  }

  /** Makes `n` trades of `symbol` at `perSecond`, sending each to the subscribed connections; resolves at the end. */
  async serve(symbol: string, n: number, options: ServeOptions = {}): Promise<void> {
    const perTick = Math.max(1, Math.round((options.perSecond ?? 500) / 50))
    for (let i = 0; i < n;) {
      for (let k = 0; k < perTick && i < n; k++, i++) {
        options.at?.[i]?.()
        this.trade(symbol)
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /** Makes one trade and sends it (unless withheld); returns it. */
  trade(symbol: string): FakeTrade {
    const id = this.nextId.get(symbol) ?? this.options.firstId ?? 1000
    this.nextId.set(symbol, id + 1)
    const trade: FakeTrade = {
      symbol,
      id,
      price: (100 + (id % 97) * 0.01).toFixed(8),
      qty: (((id % 13) + 1) / 1000).toFixed(8),
      time: this.options.clock === 'wall' ? Date.now() : 1_700_000_000_000 + id * 10,
      isBuyerMaker: id % 3 === 0,
    }
    const list = this.trades.get(symbol) ?? []
    list.push(trade)
    this.trades.set(symbol, list)
    if (this.withheld > 0) this.withheld--
    else for (const client of this.clients) this.deliver(client, trade)
    return trade
  }

  /** The next `n` trades are made (REST has them) but sent to nobody: a gap the source must back-fill. */
  withhold(n: number): void {
    this.withheld += n
  }

  /** Ids jump by `n` for `symbol`: those trades never exist, REST confirms the gap. */
  skipIds(symbol: string, n: number): void {
    this.nextId.set(symbol, (this.nextId.get(symbol) ?? this.options.firstId ?? 1000) + n)
  }

  /** Cuts every connection without a close frame (as a network fault does: the client sees 1006). */
  drop(): void {
    for (const client of this.clients) client.socket.terminate()
  }

  /** Connections open now stop getting data (pings go on, nothing closes): a silent stall. */
  stall(): void {
    for (const client of this.clients) client.stalled = true
  }

  /** The next connection first gets the last `n` trades already made (old trades a reconnect replays). */
  replayOnConnect(n: number): void {
    this.replayNext = n
  }

  /** Sends `text` as it is to every open connection (malformed frames, unknown message types). */
  sendRaw(text: string): void {
    for (const client of this.clients) client.socket.send(text)
  }

  /** A serverShutdown event, then the connection closes a moment later. */
  shutdownNotice(): void {
    for (const client of this.clients) {
      const data = {e: 'serverShutdown', E: Date.now()}
      client.socket.send(JSON.stringify(client.combined ? {stream: '!serverShutdown', data} : data))
      const timer = setTimeout(() => client.socket.close(1001, 'server shutdown'), 200)
      this.timers.add(timer)
    }
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer)
    for (const client of this.clients) client.socket.terminate()
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    this.connections++
    const url = new URL(request.url ?? '/', 'http://fake')
    const combined = url.pathname === '/stream'
    const names = combined
      ? (url.searchParams.get('streams') ?? '').split('/').filter(Boolean)
      : url.pathname.startsWith('/ws/')
        ? [url.pathname.slice(4)]
        : []
    const client: Client = {socket, streams: new Set(names), combined, stalled: false, frames: []}
    this.clients.add(client)
    this.keepAlive(client)
    socket.on('message', (data) => this.control(client, String(data)))
    socket.on('close', () => this.clients.delete(client))
    if (this.replayNext > 0) {
      const replay = this.replayNext
      this.replayNext = 0
      for (const list of this.trades.values()) for (const trade of list.slice(-replay)) this.deliver(client, trade)
    }
  }

  /** Pings every pingIntervalMs; a client silent (no pong) for pongTimeoutMs is cut. */
  private keepAlive(client: Client): void {
    let lastPong = Date.now()
    client.socket.on('pong', () => (lastPong = Date.now()))
    const timer = setInterval(() => {
      if (Date.now() - lastPong > (this.options.pongTimeoutMs ?? 60_000)) client.socket.terminate()
      else client.socket.ping()
    }, this.options.pingIntervalMs ?? 20_000)
    this.timers.add(timer)
    client.socket.on('close', () => (clearInterval(timer), this.timers.delete(timer)))
  }

  private deliver(client: Client, trade: FakeTrade): void {
    if (client.stalled) return
    const lower = trade.symbol.toLowerCase()
    for (const stream of [`${lower}@trade`, `${lower}@aggTrade`]) {
      if (!client.streams.has(stream)) continue
      const data = stream.endsWith('@trade') ? tradeEvent(trade) : aggTradeEvent(trade)
      client.socket.send(JSON.stringify(client.combined ? {stream, data} : data))
    }
  }

  /** A frame from the client: control requests, answered as Binance does; more than 5 a second closes with 1008. */
  private control(client: Client, text: string): void {
    const now = Date.now()
    client.frames = client.frames.filter((t) => t > now - 1000).concat(now)
    if (client.frames.length > 5) return client.socket.close(1008, 'Too many requests')
    let request: {method?: unknown; params?: unknown; id?: unknown}
    try {
      request = JSON.parse(text) as typeof request
    } catch {
      return client.socket.send(JSON.stringify({code: 3, msg: 'Invalid JSON: expected value at line 1 column 1'}))
    }
    const reply = (body: object) => client.socket.send(JSON.stringify({...body, id: request.id ?? null}))
    const params = Array.isArray(request.params) ? (request.params as unknown[]) : []
    if (request.method === 'LIST_SUBSCRIPTIONS') return reply({result: [...client.streams]})
    if (request.method !== 'SUBSCRIBE' && request.method !== 'UNSUBSCRIBE')
      return reply({error: {code: 2, msg: `Invalid request: unknown variant ${JSON.stringify(request.method)}`}})
    if (!params.every((p) => typeof p === 'string' && STREAM_NAME.test(p)))
      return reply({error: {code: 2, msg: 'Invalid request: invalid stream'}})
    for (const p of params as string[]) {
      if (request.method === 'SUBSCRIBE') client.streams.add(p)
      else client.streams.delete(p)
    }
    reply({result: null})
  }

  private rest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake')
    const query = Object.fromEntries(url.searchParams)
    this.requests.push({path: url.pathname, query})
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
    }
    const known = this.options.symbols ?? ['BTCUSDT', 'ETHUSDT', 'ETHBTC']
    if (!known.includes(query.symbol ?? '')) return send(400, {code: -1121, msg: 'Invalid symbol.'})
    const limit = Math.min(1000, Number(query.limit ?? 500))
    const all = this.history(query.symbol)
    const fromId = query.fromId === undefined ? undefined : Number(query.fromId)
    const page = fromId === undefined ? all.slice(-limit) : all.filter((t) => t.id >= fromId).slice(0, limit)
    if (url.pathname === '/api/v3/trades') return send(200, all.slice(-limit).map(restTrade))
    if (url.pathname === '/api/v3/historicalTrades') return send(200, page.map(restTrade))
    if (url.pathname === '/api/v3/aggTrades') return send(200, page.map(restAggTrade))
    send(404, {code: -1, msg: 'Not found'})
  }
}

const STREAM_NAME = /^[a-z0-9]+@(trade|aggTrade|miniTicker|ticker|kline_(1s|1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d))$/

export function tradeEvent(t: FakeTrade): Record<string, unknown> {
  return {e: 'trade', E: t.time + 1, s: t.symbol, t: t.id, p: t.price, q: t.qty, T: t.time, m: t.isBuyerMaker, M: true}
}

export function aggTradeEvent(t: FakeTrade): Record<string, unknown> {
  const {symbol: s, id, price: p, qty: q, time: T, isBuyerMaker: m} = t
  return {e: 'aggTrade', E: T + 1, s, a: id, p, q, f: id * 2, l: id * 2 + 1, T, m, M: true}
}

function restTrade(t: FakeTrade): Record<string, unknown> {
  const quoteQty = (Number(t.price) * Number(t.qty)).toFixed(8)
  return {id: t.id, price: t.price, qty: t.qty, quoteQty, time: t.time, isBuyerMaker: t.isBuyerMaker, isBestMatch: true}
}

function restAggTrade(t: FakeTrade): Record<string, unknown> {
  return {a: t.id, p: t.price, q: t.qty, f: t.id * 2, l: t.id * 2 + 1, T: t.time, m: t.isBuyerMaker, M: true}
}

export async function startFakeBinance(options: FakeBinanceOptions = {}): Promise<FakeBinance> {
  return new FakeBinance(options).start()
}
