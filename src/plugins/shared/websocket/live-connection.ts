/**
 * One WebSocket connection of a ReconnectingSocket, from handshake to close: it owns the `ws` object and the timers
 * that watch it (data stall, client ping/pong, lifetime), and reports how it ended exactly once. Kept apart from the
 * reconnect loop so each connection's mutable state dies with it and cannot leak into the next one.
 */
import WebSocket, {type RawData} from 'ws'
import {messageOf} from '../../../sdk/index.js'

/** Why a connection ended, as logged and passed to onClose. */
export type CloseCause =
  /** The server closed it (close frame, or TCP closed: code 1006). */
  | 'closed'
  /** A network or handshake error (refused, DNS, TLS, HTTP status instead of 101, handshake timeout). */
  | 'error'
  /** No data message for stallTimeoutMs although the connection stayed open. */
  | 'stall'
  /** A client ping got no pong before the next one was due. */
  | 'pong-timeout'
  /** Open for maxLifetimeMs: replaced before the server's scheduled cut. */
  | 'lifetime'
  /** The owner asked for it (reconnect()), e.g. after a server-shutdown notice. */
  | 'requested'
  /** The pipeline is shutting down. */
  | 'aborted'

export interface SocketClose {
  /** 1, 2, 3…: which connection of this socket ended. */
  connection: number
  cause: CloseCause
  /** The close code (1006 when the connection died without a close frame). */
  code: number
  /** The close frame's reason, the error's message, or what reconnect() was given. */
  reason: string
  /** Whether the handshake completed. */
  opened: boolean
  /** Data messages received on this connection. */
  messages: number
}

export interface ConnectionSettings {
  stallTimeoutMs: number
  pingIntervalMs: number
  connectTimeoutMs: number
  maxLifetimeMs: number
}

export interface ConnectionEvents {
  open(): void
  data(data: RawData, isBinary: boolean): void
  /** True while messages already received wait to be handled: the connection is not stalled, we are behind. */
  busy(): boolean
}

/** How long shutdown waits for the server to answer a close frame before the socket is cut. */
const CLOSE_GRACE_MS = 1000

export class LiveConnection {
  readonly closed: Promise<SocketClose>
  private readonly ws: WebSocket
  private opened = false
  private messages = 0
  private lastData = Date.now()
  private awaitingPong = false
  private ending?: {cause: CloseCause; reason: string}
  private readonly timers: NodeJS.Timeout[] = []

  constructor(
    readonly id: number,
    readonly url: string,
    private readonly settings: ConnectionSettings,
    private readonly events: ConnectionEvents,
  ) {
    this.ws = new WebSocket(url, {handshakeTimeout: settings.connectTimeoutMs, perMessageDeflate: false})
    this.closed = new Promise((resolve) => this.wire(resolve))
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  /** Sends a text frame; false when the connection is not open (the message is dropped). */
  send(text: string): boolean {
    if (!this.isOpen) return false
    this.ws.send(text)
    return true
  }

  /** Stops reading from the socket (TCP backpressure) while the owner is behind. */
  pause(): void {
    this.ws.pause()
  }

  resume(): void {
    this.ws.resume()
  }

  /** Ends the connection for `cause`: politely (close frame) on shutdown, at once otherwise. Idempotent. */
  end(cause: CloseCause, reason: string): void {
    if (this.ending) return
    this.ending = {cause, reason}
    if (cause === 'aborted' || cause === 'requested' || cause === 'lifetime') {
      this.ws.close(1000, cause === 'aborted' ? 'client shutting down' : 'client reconnecting')
      this.timers.push(setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS))
    } else {
      this.ws.terminate()
    }
  }

  private wire(resolve: (close: SocketClose) => void): void {
    const {ws} = this
    ws.on('open', () => this.onOpen())
    ws.on('message', (data, isBinary) => {
      this.messages++
      this.lastData = Date.now()
      this.events.data(data, isBinary)
    })
    ws.on('pong', () => (this.awaitingPong = false))
    ws.on('error', (error) => {
      this.ending ??= {cause: 'error', reason: messageOf(error)}
    })
    ws.on('close', (code, reason) => {
      for (const timer of this.timers) clearTimeout(timer)
      const {cause, reason: why} = this.ending ?? {cause: 'closed' as const, reason: reason.toString('utf8')}
      resolve({connection: this.id, cause, code, reason: why, opened: this.opened, messages: this.messages})
    })
  }

  private onOpen(): void {
    this.opened = true
    this.lastData = Date.now()
    const {stallTimeoutMs, pingIntervalMs, maxLifetimeMs} = this.settings
    if (stallTimeoutMs > 0) {
      const every = Math.max(10, Math.min(1000, Math.floor(stallTimeoutMs / 4)))
      this.timers.push(setInterval(() => this.checkStall(), every))
    }
    if (pingIntervalMs > 0) this.timers.push(setInterval(() => this.ping(), pingIntervalMs))
    if (maxLifetimeMs > 0) {
      const reason = `open for ${Math.round(maxLifetimeMs / 1000)} s, replaced before the server's scheduled cut`
      this.timers.push(setTimeout(() => this.end('lifetime', reason), maxLifetimeMs))
    }
    this.events.open()
  }

  private checkStall(): void {
    const now = Date.now()
    // Messages waiting to be handled mean we are behind (or paused reading), not that the server went quiet.
    if (this.events.busy()) this.lastData = now
    const silent = now - this.lastData
    if (silent >= this.settings.stallTimeoutMs) this.end('stall', `no data for ${silent} ms on an open connection`)
  }

  private ping(): void {
    if (!this.isOpen) return
    if (this.awaitingPong) {
      this.end('pong-timeout', `no pong within ${this.settings.pingIntervalMs} ms`)
      return
    }
    this.awaitingPong = true
    this.ws.ping()
  }
}
