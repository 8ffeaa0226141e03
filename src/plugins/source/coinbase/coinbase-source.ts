/**
 * A coinbase source instance: one WebSocket connection (the shared ReconnectingSocket: reconnect with backoff and
 * jitter, stall watchdog, resubscribe) on the `matches` and `heartbeat` channels. Each trade id is passed on once, in
 * order per product: repeats (the `last_match` replayed on every subscribe) are dropped, and a hole in the ids (a
 * dropped message, a reconnect, the time since the last run) is back-filled from REST before the trade after it.
 * Heartbeats carry the product's last trade id, which finds trades dropped when no later trade has come yet. With
 * `channel: ticker` it passes on tickers instead, each once by its sequence (ticker.ts). With `api: advanced` the same
 * on Advanced Trade's envelopes (market_trades or ticker + heartbeats; advanced-messages.ts): each batch's trades in
 * id order, `sequence_num` jumps counted as messages_missed, holes back-filled from its REST by time.
 */
import {EtlError, type PluginContext, type SourceEmitter, type SourceInstance} from '../../../sdk/index.js'
import {EmitBatcher} from '../../shared/batching/emit-batcher.js'
import {ReconnectingSocket, type SocketClose} from '../../shared/websocket/index.js'
import {AdvancedBackfill} from './advanced-backfill.js'
import {eventsOf, parseAdvancedTicker, parseAdvancedTrade, SequenceWatch, timeMs} from './advanced-messages.js'
import type {CoinbaseSettings} from './coinbase-config.js'
import {FeedProblems, sample} from './feed-messages.js'
import {RestBackfill, type Backfilled} from './rest-backfill.js'
import {parseTicker, tickerRecord, TickerLedger} from './ticker.js'
import {parseTrade, tradeRecord, type Trade} from './trade.js'
import {TradeLedger} from './trade-ledger.js'

type Message = Record<string, unknown>

/** Emitting more at once makes one Kafka transaction too large to be quick. */
const MAX_BATCH = 1000

/** Trades strictly between two ids from REST (Exchange pages by id, Advanced back in time from the later trade). */
interface Backfiller {
  fill(product: string, after: number, before: number, signal: AbortSignal, beforeMs: number): Promise<Backfilled>
}

export class CoinbaseSource implements SourceInstance {
  private readonly ledger: TradeLedger
  /** `channel: ticker`: the last sequence per product, the checkpoint in that mode. */
  private readonly tickers: TickerLedger
  private readonly rest: Backfiller
  /** Advanced Trade numbers every message of a connection: a jump is a message lost. */
  private readonly sequence = new SequenceWatch()
  private readonly problems: FeedProblems
  private readonly products: Set<string>
  private batcher?: EmitBatcher
  private signal: AbortSignal = new AbortController().signal

  constructor(
    private readonly s: CoinbaseSettings,
    private readonly context: PluginContext,
  ) {
    this.ledger = new TradeLedger(s.products)
    this.tickers = new TickerLedger(s.products)
    this.rest = s.api === 'advanced' ? new AdvancedBackfill(s, context) : new RestBackfill(s, context)
    this.problems = new FeedProblems(context)
    this.products = new Set(s.products)
  }

  restore(state: unknown): void {
    const ticker = this.s.channel === 'ticker'
    const problem = ticker ? this.tickers.restore(state) : this.ledger.restore(state)
    if (problem) {
      this.context.logger.warn(`ignoring the saved checkpoint: ${problem}; starting from the live stream`)
      return
    }
    if (ticker) this.context.logger.info('resuming after the last tickers emitted', this.tickers.checkpoint().sequence)
    else this.context.logger.info('resuming after the last trades emitted', this.ledger.checkpoint().last)
  }

  async run(emit: SourceEmitter, runSignal: AbortSignal): Promise<void> {
    const {s, context} = this
    this.signal = AbortSignal.any([runSignal, context.signal])
    const batcher = new EmitBatcher({
      emit,
      checkpoint: () => (s.channel === 'ticker' ? this.tickers.checkpoint() : this.ledger.checkpoint()),
      maxRecords: MAX_BATCH,
      maxDelayMs: s.flushIntervalMs,
    })
    this.batcher = batcher
    const socket = new ReconnectingSocket({
      describe: 'Coinbase feed',
      url: s.url,
      context,
      signal: this.signal,
      subscribe: () => this.subscribeMessages(),
      stallTimeoutMs: s.stallTimeoutMs,
      onMessage: (message) => this.onMessage(message),
      onClose: (close) => this.onClose(close),
    })
    batcher.start()
    try {
      await socket.run()
    } finally {
      await batcher.stop()
    }
  }

  /** Exchange takes the channels in one message; Advanced Trade one channel per message, heartbeats for all. */
  private subscribeMessages(): Message[] {
    const {products, channel} = this.s
    if (this.s.api === 'exchange') return [{type: 'subscribe', product_ids: products, channels: [channel, 'heartbeat']}]
    const data = channel === 'ticker' ? 'ticker' : 'market_trades'
    return [
      {type: 'subscribe', product_ids: products, channel: data},
      {type: 'subscribe', channel: 'heartbeats'},
    ]
  }

  private async onMessage(message: unknown): Promise<void> {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.problems.report('malformed_message', 'shape', 'skipped a message that is not a JSON object', {
        message: sample(message),
      })
      return
    }
    const m = message as Message
    if (this.s.api === 'advanced') return this.onEnvelope(m)
    switch (m.type) {
      case 'match':
      case 'last_match':
        return this.onMatch(m)
      case 'ticker':
        return this.onTicker(m)
      case 'heartbeat':
        return this.onHeartbeat(m)
      case 'subscriptions':
        this.context.logger.debug('coinbase: subscribed', {channels: sample(m.channels)})
        return
      case 'error':
        throw refused(m)
      default:
        this.problems.report('unknown_message_type', `type:${String(m.type)}`, 'ignored a message of unknown type', {
          type: sample(m.type),
        })
    }
  }

  private async onMatch(m: Message): Promise<void> {
    const product = this.productOf(m)
    if (product === undefined) return
    const trade = parseTrade(m, product)
    if (typeof trade === 'string') {
      this.problems.report('rejected_invalid_trade', 'trade', `rejected a ${product} trade: ${trade}`, {
        message: sample(m),
      })
      return
    }
    await this.take(trade)
  }

  /** A trade goes on once, in id order: a repeat is dropped, a hole before it is back-filled first. */
  private async take(trade: Trade): Promise<void> {
    const verdict = this.ledger.judge(trade.product, trade.tradeId)
    if (verdict.kind === 'repeat') {
      this.context.count('duplicate_skipped')
      return
    }
    if (verdict.kind === 'gap') await this.fillGap(trade.product, verdict.after, trade.tradeId, trade.timeMs)
    await this.pass([trade])
  }

  /** An Advanced Trade envelope: `channel`, `sequence_num` (per connection) and `events[]`. */
  private async onEnvelope(m: Message): Promise<void> {
    if (m.type === 'error') throw refused(m)
    const skipped = this.sequence.skipped(m.sequence_num)
    if (skipped > 0) {
      this.context.count('messages_missed', skipped)
      this.context.logger.warn(`coinbase: ${skipped} message(s) missing before sequence_num ${String(m.sequence_num)}`)
    }
    switch (m.channel) {
      case 'market_trades':
        return this.onMarketTrades(m)
      case 'ticker':
        return this.onAdvancedTickers(m)
      case 'heartbeats':
        return void (await this.batcher?.add([])) // the clock that flushes a due batch
      case 'subscriptions':
        this.context.logger.debug('coinbase: subscribed', {events: sample(m.events)})
        return
      default:
        this.problems.report(
          'unknown_message_type',
          `channel:${String(m.channel)}`,
          'ignored a message of unknown channel',
          {
            channel: sample(m.channel),
          },
        )
    }
  }

  /** Every trade of every event (a snapshot after subscribing, then 250 ms updates), each product's by ascending id. */
  private async onMarketTrades(m: Message): Promise<void> {
    const events = this.eventsOrReport(m)
    const trades: Trade[] = []
    for (const event of events ?? []) {
      const rows = Array.isArray(event.trades) ? (event.trades as unknown[]) : []
      for (const row of rows) {
        const raw = typeof row === 'object' && row !== null ? (row as Message) : {}
        const product = this.productOf(raw)
        if (product === undefined) continue
        const trade = parseAdvancedTrade(raw, product)
        if (typeof trade !== 'string') trades.push(trade)
        else
          this.problems.report('rejected_invalid_trade', 'trade', `rejected a ${product} trade: ${trade}`, {
            row: sample(row),
          })
      }
    }
    // Batches come newest first.
    trades.sort((a, b) => (a.product < b.product ? -1 : a.product > b.product ? 1 : a.tradeId - b.tradeId))
    for (const trade of trades) await this.take(trade)
  }

  /** Advanced tickers carry no sequence of their own: the envelope's time orders them, once each per product. */
  private async onAdvancedTickers(m: Message): Promise<void> {
    const at = timeMs(m.timestamp)
    for (const event of this.eventsOrReport(m) ?? []) {
      for (const row of Array.isArray(event.tickers) ? (event.tickers as unknown[]) : []) {
        const raw = typeof row === 'object' && row !== null ? (row as Message) : {}
        const product = this.productOf(raw)
        if (product === undefined) continue
        const ticker = parseAdvancedTicker(raw, product, at)
        if (typeof ticker === 'string') {
          this.problems.report('rejected_invalid_ticker', 'ticker', `rejected a ${product} ticker: ${ticker}`, {
            row: sample(row),
          })
          continue
        }
        if (!this.tickers.take(product, ticker.sequence)) this.context.count('duplicate_skipped')
        else await this.batcher?.add([tickerRecord(ticker)])
      }
    }
  }

  private eventsOrReport(m: Message): Message[] | undefined {
    const events = eventsOf(m)
    if (events === undefined)
      this.problems.report('malformed_message', 'events', 'skipped a message without events[]', {message: sample(m)})
    return events
  }

  /** A ticker newer (by sequence) than the last passed on for its product goes on; older ones are repeats. */
  private async onTicker(m: Message): Promise<void> {
    const product = this.productOf(m)
    if (product === undefined) return
    const ticker = parseTicker(m, product)
    if (typeof ticker === 'string') {
      this.problems.report('rejected_invalid_ticker', 'ticker', `rejected a ${product} ticker: ${ticker}`, {
        message: sample(m),
      })
      return
    }
    if (!this.tickers.take(product, ticker.sequence)) return void this.context.count('duplicate_skipped')
    await this.batcher?.add([tickerRecord(ticker)])
  }

  /** A heartbeat's last_trade_id beyond the last trade passed on means trades were dropped with none after them. */
  private async onHeartbeat(m: Message): Promise<void> {
    if (this.s.channel === 'ticker') return void (await this.batcher?.add([])) // the clock that flushes a due batch
    const product = this.productOf(m)
    const lastTradeId = m.last_trade_id
    if (product === undefined || !Number.isSafeInteger(lastTradeId)) return
    const last = this.ledger.lastOf(product)
    // 0 is what the feed sent for years instead of an id; without a last trade there is nothing to compare.
    if (last === undefined || (lastTradeId as number) <= last) return
    await this.fillGap(product, last, (lastTradeId as number) + 1, Date.now())
    await this.batcher?.add([]) // the heartbeat is also the clock that flushes a due batch
  }

  /** Trades strictly between `after` and `before` of `product`: back-filled from REST, or counted as missed. */
  private async fillGap(product: string, after: number, before: number, beforeMs: number): Promise<void> {
    const missing = before - after - 1
    this.context.count('gaps_detected')
    this.context.logger.warn(`coinbase: ${product} trade ids ${after + 1}…${before - 1} missing (${missing})`, {
      product,
      missing,
      backfill: this.s.backfill,
    })
    if (!this.s.backfill) {
      this.context.count('trades_missed', missing)
      return
    }
    const {trades, missed} = await this.rest.fill(product, after, before, this.signal, beforeMs)
    this.context.count('backfilled', trades.length)
    if (missed > 0) {
      this.context.count('trades_missed', missed)
      this.context.logger.warn(`coinbase: ${missed} of the ${missing} missing ${product} trades could not be fetched`)
    }
    await this.pass(trades)
  }

  /** Hands trades (ascending ids of one product) on, advancing the ledger with them: one step, so they agree. */
  private async pass(trades: Trade[]): Promise<void> {
    for (const trade of trades) this.ledger.advance(trade.product, trade.tradeId)
    await this.batcher?.add(trades.map(tradeRecord))
  }

  private productOf(m: Message): string | undefined {
    const product = m.product_id
    if (typeof product === 'string' && this.products.has(product)) return product
    this.problems.report(
      'unexpected_product',
      `product:${String(product)}`,
      'ignored a message for a product not subscribed',
      {
        product: sample(product),
      },
    )
    return undefined
  }

  private async onClose(close: SocketClose): Promise<void> {
    // What arrived before the drop goes out now: the next connection may take a while.
    await this.batcher?.flush()
    this.sequence.reset() // a new connection numbers its messages afresh
    this.context.logger.debug('coinbase: connection closed', {cause: close.cause, messages: close.messages})
  }
}

/** Coinbase refuses a subscription (an unknown product) with an error message: reconnecting would be refused again. */
function refused(m: Message): EtlError {
  const reason = typeof m.reason === 'string' ? `: ${m.reason}` : ''
  return new EtlError('ETL_SOURCE_PERMANENT', `Coinbase feed refused: ${String(m.message)}${reason}`, {
    details: {message: sample(m)},
  })
}
