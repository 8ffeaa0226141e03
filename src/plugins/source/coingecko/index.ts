/**
 * Source: polls CoinGecko's /simple/price and emits one record per coin × currency, stamped with CoinGecko's own
 * `last_updated_at` (event time, not fetch time) so windows downstream line up with when the price was true.
 * CoinGecko caches prices (~60 s on Demo), so polls often repeat a price: those are skipped, not re-emitted.
 */
import {
  definePlugin,
  type EtlRecord,
  fetchJson,
  formatDuration,
  type PluginContext,
  type SourceEmitter,
} from '../../../sdk/index.js'
import {backfill} from './backfill.js'
import {Progress} from './progress.js'
import {simplePriceBodyProblem, simplePriceEntryProblems} from './response-schema.js'
import {
  configSchema,
  isObject,
  isPositive,
  KEY_HEADER,
  settings,
  type CoinGeckoConfig,
  type Pending,
} from './settings.js'

function create(config: CoinGeckoConfig, ctx: PluginContext) {
  const s = settings(config, process.env)
  ctx.registerSecret(s.apiKey)
  const {logger, count, clock} = ctx
  const query = [
    `ids=${s.coins.map(encodeURIComponent).join(',')}`,
    `vs_currencies=${s.vsCurrencies.join(',')}`,
    'include_last_updated_at=true',
    'precision=full',
    ...(s.includeMarketData ? ['include_market_cap=true', 'include_24hr_vol=true', 'include_24hr_change=true'] : []),
  ]
  const url = `${s.baseUrl}/simple/price?${query.join('&')}`
  const headers: Record<string, string> = {'user-agent': 'etl (coingecko source)'}
  if (s.apiKey) headers[KEY_HEADER[s.plan]] = s.apiKey
  const other = s.plan === 'pro' ? 'demo' : 'pro'
  const authHint = `Set COINGECKO_API_KEY (or \`apiKey\`); a ${other} key also needs \`plan: ${other}\`.`
  // Newest event time emitted per coin/currency (ms): the checkpoint, so a restart neither repeats nor re-backfills.
  const progress = new Progress()
  const symbolOf = (id: string) => (Object.hasOwn(s.symbols, id) ? s.symbols[id] : id.toUpperCase())
  const warned = new Set<string>()
  const warnOnce = (key: string, message: string, fields: Record<string, unknown>) => {
    if (warned.has(key)) return
    warned.add(key)
    logger.warn(message, fields)
  }
  /** A market-data field, or null when absent or invalid (`invalid`: the entry's rejected fields, with reasons). */
  const marketValue = (
    id: string,
    entry: Record<string, unknown>,
    field: string,
    invalid: Map<string, string>,
  ): number | null => {
    const value = entry[field]
    if (invalid.has(field)) {
      count('rejected_invalid_market_data')
      warnOnce(`market:${id}/${field}`, `rejected ${id} ${field}: ${invalid.get(field)}`, {
        coin: id,
        value: JSON.stringify(value),
      })
      return null
    }
    if (typeof value === 'number' && Number.isFinite(value)) return value
    count('missing_market_data')
    return null
  }

  function toRecords(body: Record<string, unknown>, fetchedAt: number): Pending[] {
    const out: Pending[] = []
    for (const id of s.coins) {
      const entry = Object.hasOwn(body, id) ? body[id] : undefined // ids like 'constructor' must not hit Object
      if (entry === undefined) {
        count('unknown_coin_id')
        const message = `unknown coin id "${id}": CoinGecko returned nothing for it (ids are not tickers)`
        warnOnce(`unknown:${id}`, message, {coin: id})
        continue
      }
      if (!isObject(entry)) {
        count('rejected_invalid_entry', s.vsCurrencies.length)
        logger.warn(`rejected CoinGecko entry for "${id}": not an object`, {coin: id, value: JSON.stringify(entry)})
        continue
      }
      // Values that fail the response schema are rejected one by one; the rest of the entry still flows.
      const invalid = simplePriceEntryProblems(entry)
      const raw = entry.last_updated_at
      const updatedAt = isPositive(raw) && !invalid.has('last_updated_at') ? raw : undefined
      if (updatedAt === undefined) {
        if (raw !== undefined) count('rejected_invalid_timestamp')
        count('missing_last_updated_at')
        warnOnce(`time:${id}`, `CoinGecko sent no usable last_updated_at for "${id}"; using fetch time instead`, {
          coin: id,
          value: JSON.stringify(raw),
          reason: invalid.get('last_updated_at'),
        })
      }
      for (const vs of s.vsCurrencies) {
        const price = entry[vs]
        if (price === undefined) {
          count('missing_price')
          warnOnce(`price:${id}/${vs}`, `CoinGecko sent no ${vs} price for "${id}"`, {coin: id, vs})
          continue
        }
        if (invalid.has(vs) || !isPositive(price)) {
          count('rejected_invalid_price')
          const value = JSON.stringify(price) ?? String(price)
          logger.warn(`rejected ${id} ${vs} price: ${invalid.get(vs) ?? 'not a finite number > 0'}`, {
            coin: id,
            vs,
            value,
          })
          continue
        }
        const key = `${id}/${vs}`
        if (updatedAt !== undefined && updatedAt * 1000 <= (progress.get(key) ?? -Infinity)) {
          count('duplicate_skipped')
          logger.debug(`skipped ${key}: last_updated_at unchanged`, {last_updated_at: updatedAt})
          continue
        }
        const record: EtlRecord = {
          symbol: symbolOf(id),
          [`price_${vs}`]: price,
          timestamp: new Date(updatedAt === undefined ? fetchedAt : updatedAt * 1000).toISOString(),
          coin_id: id,
          vs_currency: vs,
          source: 'coingecko',
        }
        if (s.includeMarketData) {
          record[`market_cap_${vs}`] = marketValue(id, entry, `${vs}_market_cap`, invalid)
          record[`volume_24h_${vs}`] = marketValue(id, entry, `${vs}_24h_vol`, invalid)
          record.change_24h_pct = marketValue(id, entry, `${vs}_24h_change`, invalid)
        }
        out.push({record, key, updatedAt})
      }
    }
    return out
  }

  async function poll(emit: SourceEmitter, signal: AbortSignal): Promise<void> {
    const body = await fetchJson(ctx, url, {
      headers,
      timeoutMs: s.timeoutMs,
      signal,
      describe: 'CoinGecko /simple/price',
      authHint,
      check: simplePriceBodyProblem,
    })
    if (body === undefined) return
    const pending = toRecords(body as Record<string, unknown>, clock.now())
    if (pending.length === 0) return
    // A batch already fetched is emitted even if shutdown began meanwhile: the runtime awaits run() before closing.
    for (const p of pending) if (p.updatedAt !== undefined) progress.advance(p.key, p.updatedAt * 1000)
    await emit(
      pending.map((p) => p.record),
      progress.checkpoint(),
    )
  }

  return {
    restore(state: unknown): void {
      const problem = progress.restore(state)
      if (problem) logger.warn(`ignoring the saved progress: ${problem}; the backfill and the first poll start afresh`)
      else {
        const latest = Object.entries(progress.checkpoint().latest).map(([key, ms]) => [
          key,
          new Date(ms).toISOString(),
        ])
        logger.info('resuming after the prices already emitted', Object.fromEntries(latest))
      }
    },

    async run(emit: SourceEmitter, runSignal: AbortSignal): Promise<void> {
      const signal = AbortSignal.any([runSignal, ctx.signal])
      logger.info(`polling CoinGecko every ${formatDuration(s.intervalMs)}`, {
        coins: s.coins.join(','),
        vs: s.vsCurrencies.join(','),
        plan: s.plan,
        key: s.apiKey ? 'set' : 'none',
        baseUrl: s.baseUrl,
      })
      if (s.backfillMs > 0) {
        const targets = s.coins.flatMap((id) => s.vsCurrencies.map((vs) => ({id, vs, symbol: symbolOf(id)})))
        const request = {headers, timeoutMs: s.timeoutMs, authHint}
        await backfill(
          {
            baseUrl: s.baseUrl,
            targets,
            spanMs: s.backfillMs,
            includeMarketData: s.includeMarketData,
            progress,
            request,
            context: ctx,
          },
          emit,
          signal,
        )
      }
      const start = clock.now()
      let tick = 0
      while (!signal.aborted) {
        await poll(emit, signal)
        if (signal.aborted) break
        // Ticks sit on a fixed grid from the start; ticks a slow poll overran are skipped, not fired in a burst.
        const due = Math.floor((clock.now() - start) / s.intervalMs) + 1
        if (due > tick + 1) {
          count('poll_ticks_skipped', due - tick - 1)
          logger.debug(`poll overran ${due - tick - 1} tick(s); skipping them`)
        }
        tick = due
        await clock.sleep(start + tick * s.intervalMs - clock.now(), signal)
      }
    },
  }
}

export default definePlugin<'source', CoinGeckoConfig>({
  name: 'coingecko',
  kind: 'source',
  summary: 'Polls CoinGecko for coin prices (and market data) and emits one record per coin and currency.',
  secrets: ['apiKey'],
  configSchema,
  create,
})
