/**
 * A binance source instance: one combined-stream connection (ReconnectingSocket) for every pair; each market event
 * becomes a record, deduplicated by its position against the checkpoint, with id gaps and the time spent
 * disconnected back-filled from REST before the next live trade is emitted. Records are emitted one event at a time
 * with the checkpoint after them, so the topic and the checkpoint always agree.
 */
import {
  EtlError,
  fetchJson,
  formatDuration,
  isEtlError,
  type PluginContext,
  type SourceEmitter,
  type SourceInstance,
} from '../../../sdk/index.js'
import {ReconnectingSocket} from '../../shared/websocket/index.js'
import {Progress} from './progress.js'
import {hasTradeIds, streamUrl, type Settings} from './settings.js'
import {StreamEvents, type Item} from './stream-events.js'
import {TradeBackfill} from './trade-backfill.js'

/** Binance allows 5 client frames per second per connection (pongs included): stay well below. */
const SEND_INTERVAL_MS = 300
/** Unusable frames logged in full before switching to every 100th. */
const LOGGED_IN_FULL = 10

export class BinanceSource implements SourceInstance {
  private readonly progress: Progress
  private readonly events: StreamEvents
  private readonly backfill: TradeBackfill
  private readonly warned = new Map<string, number>()
  private socket?: ReconnectingSocket

  constructor(
    private readonly s: Settings,
    private readonly context: PluginContext,
  ) {
    this.progress = new Progress(s.stream)
    this.events = new StreamEvents(s.pairs, s.stream)
    this.backfill = new TradeBackfill(s, this.events, this.progress, context)
  }

  restore(state: unknown): void {
    const problem = this.progress.restore(
      state,
      this.s.pairs.map((p) => p.pair),
    )
    if (problem) {
      this.context.logger.warn(`ignoring the saved progress: ${problem}; starting from the live stream`)
      return
    }
    this.context.logger.info('resuming after the positions already emitted', this.progress.checkpoint().last)
  }

  async run(emit: SourceEmitter, runSignal: AbortSignal): Promise<void> {
    const {s, context} = this
    const signal = AbortSignal.any([runSignal, context.signal])
    context.logger.info(`streaming ${s.stream} of ${s.pairs.map((p) => p.pair).join(',')} from Binance`, {
      baseUrl: s.baseUrl,
      restUrl: s.restUrl,
      stallTimeout: formatDuration(s.stallTimeoutMs),
    })
    await this.checkPairs(signal)
    if (signal.aborted) return
    this.socket = new ReconnectingSocket({
      describe: 'Binance stream',
      url: streamUrl(s),
      context,
      signal,
      stallTimeoutMs: s.stallTimeoutMs,
      maxLifetimeMs: s.reconnectEveryMs,
      sendIntervalMs: SEND_INTERVAL_MS,
      onOpen: () => this.catchUp(emit, signal),
      onMessage: (message) => this.handle(message, emit, signal),
    })
    await this.socket.run()
  }

  /**
   * Asks REST for one recent trade of each pair, so a pair Binance does not list fails the start with
   * ETL_SOURCE_PERMANENT (the stream would just stay silent for it).
   */
  private async checkPairs(signal: AbortSignal): Promise<void> {
    for (const {pair} of this.s.pairs) {
      if (signal.aborted) return
      try {
        await fetchJson(this.context, `${this.s.restUrl}/api/v3/trades?symbol=${pair}&limit=1`, {
          describe: `Binance trades ${pair}`,
          timeoutMs: this.s.timeoutMs,
          signal,
        })
      } catch (error) {
        if (!isEtlError(error) || error.code !== 'ETL_SOURCE_PERMANENT') throw error
        const message = `binance: Binance rejected the pair "${pair}" (is it listed on Binance Spot?): ${error.message}`
        throw new EtlError('ETL_SOURCE_PERMANENT', message, {cause: error})
      }
    }
  }

  /** After each (re)connect: the trades made since the last one emitted, from REST (live ones wait meanwhile). */
  private async catchUp(emit: SourceEmitter, signal: AbortSignal): Promise<void> {
    if (!this.s.backfill || !hasTradeIds(this.s.stream)) return
    for (const {pair} of this.s.pairs) {
      const last = this.progress.get(pair)
      if (last !== undefined && !signal.aborted) await this.backfill.fill(pair, last + 1, undefined, emit, signal)
    }
  }

  private async handle(message: unknown, emit: SourceEmitter, signal: AbortSignal): Promise<void> {
    const event = this.events.read(message)
    switch (event.kind) {
      case 'item':
        return this.onItem(event.item, emit, signal)
      case 'partial':
      case 'reply':
        return
      case 'shutdown':
        this.context.count('ws_server_shutdown')
        this.context.logger.info('Binance announced a server shutdown: reconnecting now')
        this.socket?.reconnect('serverShutdown notice')
        return
      case 'error-reply':
        this.warnSampled('ws_error_reply', `Binance answered a request with an error: ${event.error}`, message)
        return
      case 'unknown':
        this.warnSampled('ws_unknown_message', `skipped a message of no known type: ${event.why}`, message)
        return
      case 'invalid':
        this.warnSampled('ws_invalid_message', `skipped an unusable market event: ${event.why}`, message)
    }
  }

  private async onItem(item: Item, emit: SourceEmitter, signal: AbortSignal): Promise<void> {
    const {pair, position} = item
    if (this.progress.seen(pair, position)) {
      this.context.count('duplicate_skipped')
      return
    }
    const last = this.progress.get(pair)
    if (hasTradeIds(this.s.stream) && last !== undefined && position > last + 1) {
      if (this.s.backfill) await this.backfill.fill(pair, last + 1, position - 1, emit, signal)
      else this.backfill.gap(pair, last + 1, position - 1, 'backfill is off')
      // Shut down half-way: emitting this trade would skip what the back-fill did not reach; the next run does it.
      if (signal.aborted) return
    }
    this.progress.advance(pair, position)
    await emit([item.record], this.progress.checkpoint())
  }

  /** Counts `event`; logs the first few in full, then every 100th. */
  private warnSampled(event: string, text: string, message: unknown): void {
    this.context.count(event)
    const seen = (this.warned.get(event) ?? 0) + 1
    this.warned.set(event, seen)
    if (seen > LOGGED_IN_FULL && seen % 100 !== 0) return
    const frame = JSON.stringify(message)
    this.context.logger.warn(`${text} (${seen} so far)`, {
      frame: frame.length > 200 ? `${frame.slice(0, 200)}…` : frame,
    })
  }
}
