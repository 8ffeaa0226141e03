/**
 * A coingecko source instance: backfills history once (when configured), then polls /simple/price on a fixed grid
 * and emits what changed, each batch with the progress checkpoint (progress.ts).
 */
import {pollOnGrid} from '../../shared/polling/poll-on-grid.js'
import {
  fetchJson,
  formatDuration,
  type PluginContext,
  type SourceEmitter,
  type SourceInstance,
} from '../../../sdk/index.js'
import {apiAccess, simplePriceUrl, type ApiAccess} from './api-request.js'
import {backfill} from './backfill.js'
import {PriceRecords} from './price-records.js'
import {Progress} from './progress.js'
import {simplePriceBodyProblem} from './response-schema.js'
import {symbolOf, type Settings} from './settings.js'

export class CoinGeckoSource implements SourceInstance {
  /**
   * Newest event time emitted per coin/currency (ms): the checkpoint, so a restart neither repeats nor re-backfills.
   */
  private readonly progress = new Progress()
  private readonly access: ApiAccess
  private readonly url: string
  private readonly records: PriceRecords

  constructor(
    private readonly s: Settings,
    private readonly context: PluginContext,
  ) {
    this.access = apiAccess(s)
    this.url = simplePriceUrl(s)
    this.records = new PriceRecords(s, this.progress, context)
  }

  restore(state: unknown): void {
    const {logger} = this.context
    const problem = this.progress.restore(state)
    if (problem) {
      logger.warn(`ignoring the saved progress: ${problem}; the backfill and the first poll start afresh`)
      return
    }
    const latest = Object.entries(this.progress.checkpoint().latest).map(([key, ms]) => [
      key,
      new Date(ms).toISOString(),
    ])
    logger.info('resuming after the prices already emitted', Object.fromEntries(latest))
  }

  async run(emit: SourceEmitter, runSignal: AbortSignal): Promise<void> {
    const {s} = this
    const signal = AbortSignal.any([runSignal, this.context.signal])
    this.context.logger.info(`polling CoinGecko every ${formatDuration(s.intervalMs)}`, {
      coins: s.coins.join(','),
      vs: s.vsCurrencies.join(','),
      plan: s.plan,
      key: s.apiKey ? 'set' : 'none',
      baseUrl: s.baseUrl,
    })
    if (s.backfillMs > 0) await this.backfill(emit, signal)
    await this.pollOnGrid(emit, signal)
  }

  private backfill(emit: SourceEmitter, signal: AbortSignal): Promise<void> {
    const {s} = this
    const targets = s.coins.flatMap((id) => s.vsCurrencies.map((vs) => ({id, vs, symbol: symbolOf(s, id)})))
    const request = {headers: this.access.headers, timeoutMs: s.timeoutMs, authHint: this.access.authHint}
    const options = {
      baseUrl: s.baseUrl,
      targets,
      spanMs: s.backfillMs,
      includeMarketData: s.includeMarketData,
      progress: this.progress,
      request,
      context: this.context,
    }
    return backfill(options, emit, signal)
  }

  /** Polls until aborted. */
  private pollOnGrid(emit: SourceEmitter, signal: AbortSignal): Promise<void> {
    return pollOnGrid(() => this.poll(emit, signal), this.s.intervalMs, this.context, signal)
  }

  private async poll(emit: SourceEmitter, signal: AbortSignal): Promise<void> {
    const body = await fetchJson(this.context, this.url, {
      headers: this.access.headers,
      timeoutMs: this.s.timeoutMs,
      signal,
      describe: 'CoinGecko /simple/price',
      authHint: this.access.authHint,
      check: simplePriceBodyProblem,
    })
    if (body === undefined) return
    const pending = this.records.fromBody(body as Record<string, unknown>, this.context.clock.now())
    if (pending.length === 0) return
    // A batch already fetched is emitted even if shutdown began meanwhile: the runtime awaits run() before closing.
    for (const p of pending) if (p.updatedAt !== undefined) this.progress.advance(p.key, p.updatedAt * 1000)
    await emit(
      pending.map((p) => p.record),
      this.progress.checkpoint(),
    )
  }
}
