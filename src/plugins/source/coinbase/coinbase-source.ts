/**
 * A coinbase source instance: one WebSocket connection (the shared ReconnectingSocket: reconnect with backoff and
 * jitter, stall watchdog, resubscribe) on the `matches` and `heartbeat` channels. Each trade id is passed on once, in
 * order per product: repeats (the `last_match` replayed on every subscribe) are dropped, and a hole in the ids (a
 * dropped message, a reconnect, the time since the last run) is back-filled from REST before the trade after it.
 * Heartbeats carry the product's last trade id, which finds trades dropped when no later trade has come yet. With
 * `channel: ticker` it passes on tickers instead, each once by its sequence (ticker.ts).
 */
import {EtlError, type PluginContext, type SourceEmitter, type SourceInstance} from '../../../sdk/index.js'
import {EmitBatcher} from '../../shared/batching/emit-batcher.js'
import {ReconnectingSocket, type SocketClose} from '../../shared/websocket/index.js'
import type {CoinbaseSettings} from './coinbase-config.js'
import {FeedProblems, sample} from './feed-messages.js'
import {RestBackfill} from './rest-backfill.js'
import {parseTicker, tickerRecord, TickerLedger} from './ticker.js'
import {parseTrade, tradeRecord, type Trade} from './trade.js'
import {TradeLedger} from './trade-ledger.js'

type Message = Record<string, unknown>

/** Emitting more at once makes one Kafka transaction too large to be quick. */
const MAX_BATCH = 1000

export class CoinbaseSource implements SourceInstance {
  private readonly ledger: TradeLedger
  /** `channel: ticker`: the last sequence per product, the checkpoint in that mode. */
  private readonly tickers: TickerLedger
  private readonly rest: RestBackfill
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
    this.rest = new RestBackfill(s, context)
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
      subscribe: () => [{type: 'subscribe', product_ids: s.products, channels: [s.channel, 'heartbeat']}],
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

  private async onMessage(message: unknown): Promise<void> {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.problems.report('malformed_message', 'shape', 'skipped a message that is not a JSON object', {
        message: sample(message),
      })
      return
    }
    const m = message as Message
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
    const verdict = this.ledger.judge(product, trade.tradeId)
    if (verdict.kind === 'repeat') {
      this.context.count('duplicate_skipped')
      return
    }
    if (verdict.kind === 'gap') await this.fillGap(product, verdict.after, trade.tradeId)
    await this.pass([trade])
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
    await this.fillGap(product, last, (lastTradeId as number) + 1)
    await this.batcher?.add([]) // the heartbeat is also the clock that flushes a due batch
  }

  /** Trades strictly between `after` and `before` of `product`: back-filled from REST, or counted as missed. */
  private async fillGap(product: string, after: number, before: number): Promise<void> {
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
    const {trades, missed} = await this.rest.fill(product, after, before, this.signal)
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
