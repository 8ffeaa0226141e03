/**
 * A WebSocket client (on `ws`) that stays connected for as long as a source runs. Exchange feeds drop connections
 * (network faults, scheduled 24 h cuts, shutdown notices) and, worse, stall silently: the socket stays open, pings
 * still work, but data stops. This class hides all of that behind three hooks, so every WebSocket source (binance,
 * coinbase, the generic websocket source) reconnects, resubscribes and backs off the same way.
 *
 * What it does:
 * - connects to `url` (a function: evaluated afresh per connection), then sends every message `subscribe()` returns,
 *   on every (re)connect, paced by `sendIntervalMs` (Binance counts client frames: 5/s per connection);
 * - answers server pings with pongs (ws does that itself); optionally pings the server (`pingIntervalMs`; a ping
 *   unanswered by the next one ends the connection: `pong-timeout`);
 * - stall watchdog: no DATA message for `stallTimeoutMs` on an open connection → terminate, count `ws_stall`,
 *   reconnect. Pings and pongs do not reset it, because observed stalls keep answering pings. Time spent behind
 *   (handlers still busy with received messages) is not counted as silence;
 * - backoff between attempts: retryDelay with the stage's retry policy (context.retry: random between initialDelay
 *   and a bound doubling per failed attempt, capped at maxDelay). A connection that delivered data resets it; a
 *   `reconnect()` request or a lifetime replacement reconnects at once. At most `maxConnectsPerMinute` attempts in
 *   any minute (no reconnect storms; exchanges ban IPs that connect too often). `retry.maxAttempts` > 0 bounds the
 *   connections in a row that delivered nothing: then run() fails with ETL_SOURCE_HTTP;
 * - JSON frames are parsed (`parse: 'json'`, the default); a frame that is not JSON is counted as `ws_malformed`,
 *   logged (the first ones in full, then every 100th) and skipped: never a crash;
 * - hooks run one at a time, in arrival order, each awaited (onOpen, every onMessage, onClose), so a handler may
 *   await emit() or a REST back-fill and messages wait for it. While more than `maxQueued` messages wait, reading from
 *   the socket pauses (TCP backpressure). A hook that throws stops the socket and run() rejects with that error:
 *   throw only for what retrying cannot fix; count and log bad data instead;
 * - the AbortSignal ends it: the connection is closed with a close frame, queued messages are still handled, then
 *   run() resolves.
 *
 * Counters (context.count): `ws_connect` per completed handshake, `ws_reconnect` per attempt after the first,
 * `ws_stall`, `ws_malformed`, `ws_connect_throttled` (an attempt delayed by maxConnectsPerMinute).
 *
 * Use:
 *   const socket = new ReconnectingSocket({describe: 'Coinbase feed', url: 'wss://…', context, signal,
 *     subscribe: () => [{type: 'subscribe', product_ids: ['BTC-USD'], channels: ['matches', 'heartbeat']}],
 *     stallTimeoutMs: 30_000, onMessage: async (message) => { …; await emit(records, checkpoint) },
 *     onClose: (close) => { … close.cause, close.code, close.reason … }})
 *   await socket.run()
 */
import type {RawData} from 'ws'
import {EtlError, formatDuration, retryDelay, sleep, type PluginContext} from '../../../sdk/index.js'
import {ConnectBudget} from './connect-budget.js'
import {LiveConnection, type CloseCause, type SocketClose} from './live-connection.js'

export type {CloseCause, SocketClose} from './live-connection.js'

export interface SocketOpen {
  /** 1 for the first connection, then 2, 3… */
  connection: number
  url: string
  /** True for every connection after the first. */
  reconnect: boolean
}

export interface ReconnectingSocketOptions {
  /** Names the feed in log lines and errors, e.g. 'Binance stream'. */
  describe: string
  /** ws:// or wss:// URL; a function is called before each connection (the URL may depend on state). */
  url: string | (() => string)
  /** logger and count for reporting, retry for the backoff (the stage's `retry:` policy). */
  context: Pick<PluginContext, 'logger' | 'count' | 'retry'>
  /** Ends the socket (the source's run signal). */
  signal: AbortSignal
  /** A data message: parsed JSON (parse 'json') or the frame's text (parse 'text'). */
  onMessage(message: unknown, connection: number): void | Promise<void>
  /** After each handshake, before the subscribe messages' answers and any data of that connection. */
  onOpen?(open: SocketOpen): void | Promise<void>
  /** After each connection ended, after its last message was handled; says why (for logs and counters). */
  onClose?(close: SocketClose): void | Promise<void>
  /** Messages to send after every (re)connect: strings as they are, anything else as JSON. */
  subscribe?(): unknown[]
  /** Default 'json'. */
  parse?: 'json' | 'text'
  /** No data message for this long on an open connection → reconnect. 0 disables. Default 30 s. */
  stallTimeoutMs?: number
  /** Client pings at this interval (0, the default: none; servers that ping themselves do not need it). */
  pingIntervalMs?: number
  /** Smallest gap between two frames this client sends (default 0). */
  sendIntervalMs?: number
  /** Connection attempts allowed in any 60 s (default 30). */
  maxConnectsPerMinute?: number
  /** Handshake time limit (default 10 s). */
  connectTimeoutMs?: number
  /** Replace a connection after it has been open this long (0, the default: never). */
  maxLifetimeMs?: number
  /** Received messages waiting for their hook above which reading pauses (default 10000). */
  maxQueued?: number
}

/** Malformed frames logged in full before switching to every 100th. */
const MALFORMED_LOGGED = 10
const SAMPLE_CHARS = 200

export class ReconnectingSocket {
  private live?: LiveConnection
  private connections = 0
  private chain: Promise<void> = Promise.resolve()
  private queued = 0
  private paused = false
  private malformed = 0
  private failure?: {error: unknown}
  private outbox: string[] = []
  private sending = false

  constructor(private readonly options: ReconnectingSocketOptions) {}

  /** True while a connection is open. */
  get connected(): boolean {
    return this.live?.isOpen ?? false
  }

  /**
   * Connects and keeps connected until the signal aborts (resolves once the last hook is done), or a hook threw or
   * retry.maxAttempts connections in a row delivered nothing (rejects).
   */
  async run(): Promise<void> {
    const {signal, context} = this.options
    const budget = new ConnectBudget(this.options.maxConnectsPerMinute ?? 30)
    const onAbort = () => this.live?.end('aborted', 'the pipeline is shutting down')
    signal.addEventListener('abort', onAbort, {once: true})
    try {
      let failures = 0
      while (!signal.aborted && !this.failure) {
        await this.takeSlot(budget)
        if (signal.aborted) break
        const close = await this.connectOnce()
        this.enqueue(() => this.options.onClose?.(close))
        if (signal.aborted || this.failure) break
        failures = close.messages > 0 ? 0 : failures + 1
        this.checkAttempts(failures, close)
        const delayMs = reconnectsAtOnce(close.cause) ? 0 : retryDelay(Math.max(1, failures), context.retry)
        context.count('ws_reconnect')
        this.logClose(close, delayMs)
        await sleep(delayMs, signal)
      }
    } finally {
      signal.removeEventListener('abort', onAbort)
      await this.chain
    }
    if (this.failure) throw this.failure.error
  }

  /**
   * Sends a message on the current connection (paced by sendIntervalMs); false when none is open. What must hold on
   * every connection belongs in subscribe(), which is sent again after each reconnect.
   */
  send(message: unknown): boolean {
    if (!this.connected) return false
    this.outbox.push(typeof message === 'string' ? message : JSON.stringify(message))
    if (!this.sending) void this.pump(this.live)
    return true
  }

  /** Drops the current connection and reconnects at once (a server-shutdown notice, a detected gap). */
  reconnect(reason: string): void {
    this.live?.end('requested', reason)
  }

  private async takeSlot(budget: ConnectBudget): Promise<void> {
    const wait = budget.waitMs()
    if (wait > 0) {
      this.options.context.count('ws_connect_throttled')
      const limit = this.options.maxConnectsPerMinute ?? 30
      this.options.context.logger.warn(
        `${this.options.describe}: ${limit} connection attempts in the last minute; waiting ${formatDuration(wait)}`,
      )
    }
    await budget.take(this.options.signal)
  }

  private connectOnce(): Promise<SocketClose> {
    const {options} = this
    const id = ++this.connections
    const url = typeof options.url === 'function' ? options.url() : options.url
    const settings = {
      stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
      pingIntervalMs: options.pingIntervalMs ?? 0,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      maxLifetimeMs: options.maxLifetimeMs ?? 0,
    }
    this.outbox = []
    const live = new LiveConnection(id, url, settings, {
      open: () => this.opened(live),
      data: (data, isBinary) => this.received(data, isBinary, id),
      busy: () => this.queued > 0,
    })
    this.live = live
    return live.closed
  }

  private opened(live: LiveConnection): void {
    const {context, describe, subscribe, onOpen} = this.options
    context.count('ws_connect')
    context.logger.info(`${describe}: connected`, {connection: live.id, url: live.url})
    this.enqueue(() => onOpen?.({connection: live.id, url: live.url, reconnect: live.id > 1}))
    for (const message of subscribe?.() ?? []) this.send(message)
  }

  private received(data: RawData, _isBinary: boolean, connection: number): void {
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Buffer.from(new Uint8Array(data)).toString('utf8')
    if (this.options.parse === 'text') {
      this.enqueue(() => this.options.onMessage(text, connection))
      return
    }
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch (error) {
      this.reportMalformed(text, error, connection)
      return
    }
    this.enqueue(() => this.options.onMessage(message, connection))
  }

  private reportMalformed(text: string, error: unknown, connection: number): void {
    const {context, describe} = this.options
    context.count('ws_malformed')
    this.malformed++
    if (this.malformed > MALFORMED_LOGGED && this.malformed % 100 !== 0) return
    const sample = text.length > SAMPLE_CHARS ? `${text.slice(0, SAMPLE_CHARS)}…` : text
    context.logger.warn(`${describe}: skipped a frame that is not JSON (${this.malformed} so far)`, {
      connection,
      error: error instanceof Error ? error.message : String(error),
      frame: sample,
    })
  }

  /** Runs a hook after the ones before it; a throwing hook stops the socket. Pauses reading while far behind. */
  private enqueue(job: () => unknown): void {
    this.queued++
    this.flowControl()
    this.chain = this.chain.then(async () => {
      try {
        if (!this.failure) await job()
      } catch (error) {
        this.failure = {error}
        this.live?.end('aborted', 'a handler failed')
      } finally {
        this.queued--
        this.flowControl()
      }
    })
  }

  private flowControl(): void {
    const high = this.options.maxQueued ?? 10_000
    if (!this.paused && this.queued > high) {
      this.paused = true
      this.live?.pause()
    } else if (this.paused && this.queued <= high / 2) {
      this.paused = false
      this.live?.resume()
    }
  }

  /** Sends the outbox of `live` one frame at a time, sendIntervalMs apart; stops when it closes. */
  private async pump(live: LiveConnection | undefined): Promise<void> {
    this.sending = true
    try {
      const gap = this.options.sendIntervalMs ?? 0
      while (live === this.live && live?.isOpen && this.outbox.length > 0) {
        live.send(this.outbox.shift() as string)
        if (gap > 0 && this.outbox.length > 0) await sleep(gap, this.options.signal)
      }
    } finally {
      this.sending = false
    }
  }

  private checkAttempts(failures: number, close: SocketClose): void {
    const {maxAttempts} = this.options.context.retry
    if (maxAttempts <= 0 || failures < maxAttempts) return
    const message =
      `${this.options.describe}: ${failures} connection(s) in a row delivered no data ` +
      `(retry.maxAttempts ${maxAttempts}); last: ${describeClose(close)}`
    throw new EtlError('ETL_SOURCE_HTTP', message)
  }

  private logClose(close: SocketClose, delayMs: number): void {
    const {logger, count} = this.options.context
    if (close.cause === 'stall') count('ws_stall')
    const when = delayMs === 0 ? 'reconnecting now' : `reconnecting in ${formatDuration(delayMs)}`
    const log = close.cause === 'requested' || close.cause === 'lifetime' ? logger.info : logger.warn
    const message = `${this.options.describe}: connection ${close.connection} ended (${describeClose(close)}); ${when}`
    log.call(logger, message, {
      cause: close.cause,
      code: close.code,
      messages: close.messages,
    })
  }
}

function reconnectsAtOnce(cause: CloseCause): boolean {
  return cause === 'requested' || cause === 'lifetime'
}

function describeClose(close: SocketClose): string {
  const reason = close.reason ? `: ${close.reason}` : ''
  if (close.cause === 'closed') return `closed by the server, code ${close.code}${reason}`
  return `${close.cause}${reason}`
}
