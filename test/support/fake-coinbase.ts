/**
 * A local look-alike of Coinbase Exchange market data (shared/reference/exchanges.md §2), WebSocket feed and REST on
 * one port, so tests run the real coinbase source without internet. It speaks the protocol as documented: a
 * `subscribe` answered by `subscriptions`, then `last_match` (the latest trade, a replay) and `match` messages,
 * `heartbeat`s every `heartbeatMs` per product with `last_trade_id`, one `sequence` per product across message
 * types, `{"type":"error"}` for an unknown product; REST /products/{id}/trades newest first with after/before
 * cursors and CB-AFTER / CB-BEFORE headers. Faults are explicit calls: drop trades from the feed, stall, cut
 * connections, replay old trades, send raw frames.
 */
import type {IncomingMessage, ServerResponse} from 'node:http'
import {CoinbaseServer, type FeedClient} from './fake-coinbase-server.js'

export interface FakeTrade {
  trade_id: number
  product_id: string
  price: string
  size: string
  /** Maker side. */
  side: 'buy' | 'sell'
  time: string
}

export interface FakeCoinbaseOptions {
  products?: string[]
  /** Id of the first trade of each product (default 1000). */
  firstTradeId?: number
  /** Heartbeat period per subscribed product (default 100 ms; Coinbase: 1 s). 0: none. */
  heartbeatMs?: number
  /** Trade times: `fixed` (default) 10 ms apart from 2026-01-01 by id; `wall` the time the trade is made. */
  clock?: 'fixed' | 'wall'
}

interface Client extends FeedClient {
  products: Set<string>
  /** Channel names subscribed (matches, ticker, heartbeat). */
  channels: Set<string>
}

/** A `ticker` message as the feed sends one per match: the match's sequence, price and 24 h figures. */
export interface FakeTicker {
  type: 'ticker'
  sequence: number
  product_id: string
  price: string
  open_24h: string
  high_24h: string
  low_24h: string
  volume_24h: string
  best_bid: string
  best_ask: string
  side: 'buy' | 'sell'
  time: string
  trade_id: number
  last_size: string
}

export interface FakeCoinbase {
  /** ws://127.0.0.1:<port> */
  wsUrl: string
  /** http://127.0.0.1:<port> */
  restUrl: string
  trades: Map<string, FakeTrade[]>
  /** Every ticker made, per product (one per trade not dropped), in order. */
  tickers: Map<string, FakeTicker[]>
  /** REST requests (path and query) in order. */
  restRequests: {path: string; query: Record<string, string>}[]
  /** Subscribe messages received, in order. */
  subscribes: unknown[]
  /** Connections accepted so far. */
  connections: number
  /** Makes `count` new trades of `product` and sends each as a `match` and a `ticker` (unless its id is in `drop`). */
  trade(product: string, count: number, options?: {drop?: number[]}): FakeTrade[]
  /** Sends old tickers again (by sequence), as they were. */
  replayTickers(product: string, sequences: number[]): void
  /** Sends old trades again as `match` messages (a replay after a reconnect, a confused server). */
  replay(product: string, ids: number[]): void
  /** Sends a raw text frame to every subscribed client. */
  sendRaw(text: string): void
  /** Keeps every current connection open but sends it nothing more, heartbeats included. */
  stall(): void
  /** Cuts every connection without a close frame (as a network fault does). */
  drop(): void
  /** Resolves once the `nth` connection (default: the first) has subscribed. */
  subscribed(nth?: number): Promise<void>
  close(): Promise<void>
}

const START = Date.UTC(2026, 0, 1)

/**
 * Deterministic trades: price and size from the id, time 10 ms apart (or the wall clock's) with µs digits as the feed
 * writes them.
 */
function makeTrade(product: string, id: number, clock: FakeCoinbaseOptions['clock']): FakeTrade {
  const ms = clock === 'wall' ? Date.now() : START + id * 10
  const micros = String(id % 1000).padStart(3, '0')
  return {
    trade_id: id,
    product_id: product,
    price: (50_000 + (id % 97) + 0.25).toFixed(2),
    size: (0.001 * (1 + (id % 5))).toFixed(8),
    side: id % 2 === 0 ? 'buy' : 'sell',
    time: new Date(ms).toISOString().replace('Z', `${micros}Z`),
  }
}

export async function startFakeCoinbase(options: FakeCoinbaseOptions = {}): Promise<FakeCoinbase> {
  const products = options.products ?? ['BTC-USD', 'ETH-USD']
  const firstId = options.firstTradeId ?? 1000
  const trades = new Map(products.map((p) => [p, [] as FakeTrade[]]))
  const tickers = new Map(products.map((p) => [p, [] as FakeTicker[]]))
  const sequence = new Map(products.map((p) => [p, 1]))
  const restRequests: FakeCoinbase['restRequests'] = []
  const subscribes: unknown[] = []
  const nextSequence = (product: string) => {
    const n = sequence.get(product)!
    sequence.set(product, n + 1)
    return n
  }
  const send = (client: Client, message: unknown) => {
    if (!client.stalled && client.ws.readyState === client.ws.OPEN) client.ws.send(JSON.stringify(message))
  }
  /** Sends `message` to the clients subscribed to `product` on `channel`; one sequence number for all of them. */
  const broadcast = (channel: string, product: string, message: Record<string, unknown>, sequence?: number) => {
    const numbered = {...message, sequence: sequence ?? nextSequence(product)}
    for (const client of clients)
      if (client.products.has(product) && client.channels.has(channel)) send(client, numbered)
  }
  const tickerOf = (trade: FakeTrade, sequence: number): FakeTicker => {
    const price = Number(trade.price)
    return {
      type: 'ticker',
      sequence,
      product_id: trade.product_id,
      price: trade.price,
      open_24h: (price - 100).toFixed(2),
      high_24h: (price + 200).toFixed(2),
      low_24h: (price - 300).toFixed(2),
      volume_24h: (1000 + trade.trade_id / 100).toFixed(8),
      best_bid: (price - 0.01).toFixed(2),
      best_ask: (price + 0.01).toFixed(2),
      side: trade.side,
      time: trade.time,
      trade_id: trade.trade_id,
      last_size: trade.size,
    }
  }

  function rest(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x')
    restRequests.push({path: url.pathname, query: Object.fromEntries(url.searchParams)})
    const match = /^\/products\/([^/]+)\/trades$/.exec(url.pathname)
    const list = match ? trades.get(decodeURIComponent(match[1])) : undefined
    if (!list) return void res.writeHead(404, {'content-type': 'application/json'}).end('{"message":"NotFound"}')
    const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? 1000))
    const after = url.searchParams.get('after')
    const before = url.searchParams.get('before')
    let rows = [...list].reverse() // newest first
    if (after !== null) rows = rows.filter((t) => t.trade_id < Number(after))
    if (before !== null) rows = rows.filter((t) => t.trade_id > Number(before)).slice(-limit)
    rows = rows.slice(0, limit).map(({product_id: _p, ...row}) => row as FakeTrade)
    const headers: Record<string, string> = {'content-type': 'application/json'}
    if (rows.length > 0) {
      headers['cb-before'] = String(rows[0].trade_id)
      headers['cb-after'] = String(rows[rows.length - 1].trade_id)
    }
    res.writeHead(200, headers).end(JSON.stringify(rows))
  }

  function subscribe(client: Client, text: string) {
    let message: {type?: string; product_ids?: string[]; channels?: unknown[]}
    try {
      message = JSON.parse(text)
    } catch {
      return send(client, {type: 'error', message: 'Failed to parse', reason: 'invalid JSON'})
    }
    subscribes.push(message)
    if (message.type !== 'subscribe') return
    const unknown = (message.product_ids ?? []).find((p) => !trades.has(p))
    if (unknown)
      return send(client, {type: 'error', message: 'Failed to subscribe', reason: `${unknown} is not a valid product`})
    const ids = message.product_ids ?? []
    for (const channel of message.channels ?? []) if (typeof channel === 'string') client.channels.add(channel)
    send(client, {type: 'subscriptions', channels: (message.channels ?? []).map((name) => ({name, product_ids: ids}))})
    for (const product of ids) {
      client.products.add(product)
      const last = trades.get(product)!.at(-1)
      if (last && client.channels.has('matches'))
        send(client, {type: 'last_match', ...last, sequence: nextSequence(product)})
      // The ticker channel starts with the product's current ticker: the newest one, sent again.
      const ticker = tickers.get(product)!.at(-1)
      if (ticker && client.channels.has('ticker')) send(client, ticker)
    }
    if (ids.length > 0) server.markSubscribed(client)
  }
  const server = new CoinbaseServer<Client>({
    rest,
    client: (nth, ws) => ({nth, ws, products: new Set(), channels: new Set(), stalled: false}),
    message: subscribe,
  })
  const {clients} = server

  const beat = options.heartbeatMs ?? 100
  const heartbeat =
    beat > 0
      ? setInterval(() => {
          for (const product of products) {
            const last = trades.get(product)!.at(-1)?.trade_id ?? 0
            broadcast('heartbeat', product, {
              type: 'heartbeat',
              last_trade_id: last,
              product_id: product,
              time: new Date().toISOString(),
            })
          }
        }, beat)
      : undefined

  return {
    ...(await server.listen()),
    trades,
    tickers,
    restRequests,
    subscribes,
    get connections() {
      return server.connections
    },
    trade(product, count, {drop = []} = {}) {
      const list = trades.get(product)!
      const made: FakeTrade[] = []
      for (let i = 0; i < count; i++) {
        const trade = makeTrade(product, (list.at(-1)?.trade_id ?? firstId - 1) + 1, options.clock)
        list.push(trade)
        made.push(trade)
        const sequence = nextSequence(product) // a dropped message moves the sequence too
        if (drop.includes(trade.trade_id)) continue
        broadcast('matches', product, {type: 'match', ...trade, maker_order_id: 'm', taker_order_id: 't'}, sequence)
        const ticker = tickerOf(trade, sequence)
        tickers.get(product)!.push(ticker)
        broadcast('ticker', product, {...ticker}, sequence)
      }
      return made
    },
    replayTickers(product, sequences) {
      for (const ticker of tickers.get(product)!.filter((t) => sequences.includes(t.sequence)))
        broadcast('ticker', product, {...ticker}, ticker.sequence)
    },
    replay(product, ids) {
      for (const trade of trades.get(product)!.filter((t) => ids.includes(t.trade_id)))
        broadcast('matches', product, {type: 'match', ...trade, maker_order_id: 'm', taker_order_id: 't'})
    },
    sendRaw(text) {
      server.sendRaw(text, (client) => client.products.size > 0)
    },
    stall: () => server.stall(),
    drop: () => server.drop(),
    subscribed: (nth) => server.subscribed(nth),
    async close() {
      clearInterval(heartbeat)
      await server.close()
    },
  }
}
