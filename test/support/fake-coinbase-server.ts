/**
 * What both Coinbase look-alikes (fake-coinbase.ts: Exchange, fake-coinbase-advanced.ts: Advanced Trade) share: REST
 * and WebSocket on one port, clients numbered in connection order, Coinbase's rule that a connection subscribes
 * within 5 s or is closed, and the faults every feed test calls (stall, cut, raw frames).
 */
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {WebSocketServer, type WebSocket} from 'ws'

export interface FeedClient {
  /** 1, 2, 3…: which connection this is. */
  nth: number
  ws: WebSocket
  /** Kept open but sent nothing more (stall()). */
  stalled: boolean
}

export interface CoinbaseServerHandlers<C extends FeedClient> {
  rest(req: IncomingMessage, res: ServerResponse): void
  /** The state of a new connection. */
  client(nth: number, ws: WebSocket): C
  /** A text frame from a client (its subscribe messages). */
  message(client: C, text: string): void
}

export class CoinbaseServer<C extends FeedClient> {
  readonly clients = new Set<C>()
  /** Connections accepted so far. */
  connections = 0
  private readonly server: Server
  private readonly wss: WebSocketServer
  private subscribedUpTo = 0
  private readonly waiters: (() => void)[] = []

  constructor(handlers: CoinbaseServerHandlers<C>) {
    this.server = createServer((req, res) => handlers.rest(req, res))
    this.wss = new WebSocketServer({server: this.server})
    this.wss.on('connection', (ws) => {
      const client = handlers.client(++this.connections, ws)
      this.clients.add(client)
      const noSubscribe = setTimeout(() => ws.close(1000, 'no subscribe within 5 s'), 5000)
      ws.on('close', () => {
        clearTimeout(noSubscribe)
        this.clients.delete(client)
      })
      ws.on('message', (data) => {
        clearTimeout(noSubscribe)
        handlers.message(client, data.toString())
      })
    })
  }

  /** Listens on a free port of 127.0.0.1; the feed's and the REST API's base URLs. */
  async listen(): Promise<{wsUrl: string; restUrl: string}> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    const port = (this.server.address() as AddressInfo).port
    return {wsUrl: `ws://127.0.0.1:${port}`, restUrl: `http://127.0.0.1:${port}`}
  }

  /** `client` has subscribed: wakes subscribed() waiters. */
  markSubscribed(client: C): void {
    this.subscribedUpTo = Math.max(this.subscribedUpTo, client.nth)
    for (const resolve of this.waiters.splice(0)) resolve()
  }

  /** Resolves once the `nth` connection (default: the first) has subscribed. */
  async subscribed(nth = 1): Promise<void> {
    while (this.subscribedUpTo < nth) await new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  /** Sends a raw text frame to every client `to` picks that is not stalled. */
  sendRaw(text: string, to: (client: C) => boolean): void {
    for (const client of this.clients) if (to(client) && !client.stalled) client.ws.send(text)
  }

  /** Keeps every current connection open but sends it nothing more, heartbeats included. */
  stall(): void {
    for (const client of this.clients) client.stalled = true
  }

  /** Cuts every connection without a close frame (as a network fault does). */
  drop(): void {
    for (const client of this.clients) client.ws.terminate()
  }

  async close(): Promise<void> {
    this.drop()
    this.wss.close()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
