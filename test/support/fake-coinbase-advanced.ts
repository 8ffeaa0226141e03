/**
 * A local look-alike of Coinbase Advanced Trade market data (shared/reference/exchanges.md §3), WebSocket and REST on
 * one port, so tests run the real coinbase source (`api: advanced`) without internet. As documented: one channel per
 * `subscribe` message (within 5 s of connecting, else the server closes), acknowledged on channel `subscriptions`;
 * every message an envelope `{channel, client_id, timestamp (RFC 3339, ns), sequence_num (per connection), events}`;
 * `market_trades` starts with a `snapshot` of recent trades, then `update`s, trades newest first, `trade_id` a string
 * and `side` the maker's in upper case; `heartbeats` every `heartbeatMs` with a Go-style `current_time`; an unknown
 * product or a channel array is a `{"type":"error"}`. REST GET /api/v3/brokerage/market/products/{id}/ticker with a
 * required `limit` and optional `start` / `end` (unix seconds) answers `{trades, best_bid, best_ask}` newest first.
 * Faults are explicit calls: trades dropped from the feed (their message lost: sequence_num jumps), stalls, cut
 * connections, raw frames.
 */
import type {IncomingMessage, ServerResponse} from 'node:http'
import {CoinbaseServer, type FeedClient} from './fake-coinbase-server.js'

export interface FakeAdvancedTrade {
  trade_id: string
  product_id: string
  price: string
  size: string
  time: string
  side: 'BUY' | 'SELL'
}

export interface FakeAdvancedOptions {
  products?: string[]
  /** Id of the first trade of each product (default 5000). */
  firstTradeId?: number
  /** Heartbeat period (default 100 ms; Coinbase: 1 s). 0: none. */
  heartbeatMs?: number
  /** Trades in the market_trades snapshot sent on subscribe (default 20). */
  snapshotSize?: number
}

interface Client extends FeedClient {
  channels: Map<string, Set<string>>
  sequence: number
}

export interface FakeCoinbaseAdvanced {
  wsUrl: string
  restUrl: string
  /** Every trade made, per product, oldest first. */
  trades: Map<string, FakeAdvancedTrade[]>
  restRequests: {path: string; query: Record<string, string>}[]
  subscribes: unknown[]
  connections: number
  /** Makes `count` trades of `product`, sent as one market_trades update (newest first) without the `drop` ids. */
  trade(product: string, count: number, options?: {drop?: number[]}): FakeAdvancedTrade[]
  sendRaw(text: string): void
  stall(): void
  drop(): void
  subscribed(nth?: number): Promise<void>
  close(): Promise<void>
}

const START = Date.UTC(2026, 0, 1)

/** Ns-precision RFC 3339, as the envelope carries it. */
const nanoTime = (ms: number) => new Date(ms).toISOString().replace('Z', '123456Z')

function makeTrade(product: string, id: number): FakeAdvancedTrade {
  const ms = START + id * 10
  return {
    trade_id: String(id),
    product_id: product,
    price: (60_000 + (id % 89) + 0.5).toFixed(2),
    size: (0.002 * (1 + (id % 4))).toFixed(8),
    // Variable fractional digits, as the feed writes them.
    time: new Date(ms).toISOString().replace('Z', id % 2 === 0 ? '44Z' : 'Z'),
    side: id % 3 === 0 ? 'BUY' : 'SELL',
  }
}

export async function startFakeCoinbaseAdvanced(options: FakeAdvancedOptions = {}): Promise<FakeCoinbaseAdvanced> {
  const products = options.products ?? ['BTC-USD', 'ETH-USD']
  const firstId = options.firstTradeId ?? 5000
  const trades = new Map(products.map((p) => [p, [] as FakeAdvancedTrade[]]))
  const restRequests: FakeCoinbaseAdvanced['restRequests'] = []
  const subscribes: unknown[] = []
  let heartbeats = 0

  /** Numbers the envelope for this client (a lost message still takes its number) and sends it unless stalled. */
  const send = (client: Client, channel: string, events: unknown[], lost = false) => {
    const envelope = {channel, client_id: '', timestamp: nanoTime(Date.now()), sequence_num: client.sequence++, events}
    if (!lost && !client.stalled && client.ws.readyState === client.ws.OPEN) client.ws.send(JSON.stringify(envelope))
  }
  const error = (client: Client, message: string) => client.ws.send(JSON.stringify({type: 'error', message}))

  function rest(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x')
    restRequests.push({path: url.pathname, query: Object.fromEntries(url.searchParams)})
    const match = /^\/api\/v3\/brokerage\/market\/products\/([^/]+)\/ticker$/.exec(url.pathname)
    const list = match ? trades.get(decodeURIComponent(match[1]!)) : undefined
    if (!list) return void res.writeHead(404, {'content-type': 'application/json'}).end('{"error":"NOT_FOUND"}')
    const limit = Number(url.searchParams.get('limit'))
    if (!Number.isInteger(limit) || limit < 1)
      return void res.writeHead(400, {'content-type': 'application/json'}).end('{"error":"INVALID_ARGUMENT"}')
    const start = Number(url.searchParams.get('start') ?? -Infinity) * 1000
    const end = Number(url.searchParams.get('end') ?? Infinity) * 1000
    const rows = [...list]
      .reverse()
      .filter((t) => Date.parse(t.time) >= start && Date.parse(t.time) < end)
      .slice(0, limit)
      .map((t) => ({...t, bid: '', ask: '', exchange: 'coinbase'}))
    const body = {trades: rows, best_bid: '60000.00', best_ask: '60000.01'}
    res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(body))
  }

  function subscribe(client: Client, text: string) {
    let message: {type?: string; product_ids?: string[]; channel?: unknown}
    try {
      message = JSON.parse(text)
    } catch {
      return error(client, 'failure to subscribe')
    }
    subscribes.push(message)
    if (message.type !== 'subscribe') return
    if (typeof message.channel !== 'string') return error(client, 'failure to subscribe')
    const ids = message.product_ids ?? []
    if (ids.some((p) => !trades.has(p))) return error(client, 'failure to subscribe')
    client.channels.set(message.channel, new Set(ids))
    const subscriptions = Object.fromEntries([...client.channels].map(([channel, set]) => [channel, [...set]]))
    send(client, 'subscriptions', [{subscriptions}])
    if (message.channel === 'market_trades') {
      for (const product of ids) {
        const recent = trades
          .get(product)!
          .slice(-(options.snapshotSize ?? 20))
          .reverse()
        if (recent.length > 0) send(client, 'market_trades', [{type: 'snapshot', trades: recent}])
      }
    }
    server.markSubscribed(client)
  }
  const server = new CoinbaseServer<Client>({
    rest,
    client: (nth, ws) => ({nth, ws, channels: new Map(), sequence: 0, stalled: false}),
    message: subscribe,
  })
  const {clients} = server

  const beat = options.heartbeatMs ?? 100
  const heartbeat =
    beat > 0
      ? setInterval(() => {
          heartbeats++
          const now = new Date().toISOString().replace('T', ' ').replace('Z', '000000 +0000 UTC m=+1.000000001')
          for (const client of clients)
            if (client.channels.has('heartbeats'))
              send(client, 'heartbeats', [{current_time: now, heartbeat_counter: heartbeats}])
        }, beat)
      : undefined

  return {
    ...(await server.listen()),
    trades,
    restRequests,
    subscribes,
    get connections() {
      return server.connections
    },
    trade(product, count, {drop = []} = {}) {
      const list = trades.get(product)!
      const made: FakeAdvancedTrade[] = []
      for (let i = 0; i < count; i++) {
        const trade = makeTrade(product, Number(list.at(-1)?.trade_id ?? firstId - 1) + 1)
        list.push(trade)
        made.push(trade)
      }
      const sent = made.filter((t) => !drop.includes(Number(t.trade_id))).reverse()
      for (const client of clients)
        if (client.channels.get('market_trades')?.has(product))
          send(client, 'market_trades', [{type: 'update', trades: sent}], sent.length === 0)
      return made
    },
    sendRaw(text) {
      server.sendRaw(text, (client) => client.channels.size > 0)
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
