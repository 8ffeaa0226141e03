/**
 * Backfill for the coingecko source: before polling, emits each coin's recent history from market_chart, oldest
 * first, starting after whatever an earlier run already emitted (see Progress, the source's checkpoint).
 */
import {fetchJson, type FetchJsonRequest, type PluginContext, type SourceEmitter} from '../../../sdk/index.js'
import {checkMarketChart, daysFor, marketChartRecords, type MarketChartTarget} from './market-chart.js'
import type {Progress} from './progress.js'

/** Emitting in slices keeps each produce request (and the memory it holds) modest for 90 days of hourly points. */
const EMIT_BATCH = 1000

export interface BackfillOptions {
  baseUrl: string
  targets: MarketChartTarget[]
  spanMs: number
  includeMarketData: boolean
  progress: Progress
  request: Omit<FetchJsonRequest, 'describe' | 'check' | 'signal'>
  context: PluginContext
}

export async function backfill(options: BackfillOptions, emit: SourceEmitter, signal: AbortSignal): Promise<void> {
  const {context, progress} = options
  const until = context.clock.now()
  for (const target of options.targets) {
    if (signal.aborted) return
    const key = `${target.id}/${target.vs}`
    const done = progress.get(key)
    const from = Math.max(until - options.spanMs, done === undefined ? -Infinity : done + 1)
    if (from >= until) continue
    const query = `vs_currency=${target.vs}&days=${daysFor(until - from)}`
    const url = `${options.baseUrl}/coins/${encodeURIComponent(target.id)}/market_chart?${query}`
    const body = await fetchJson(context, url, {
      ...options.request,
      signal,
      describe: `CoinGecko market_chart ${target.id}`,
      check: checkMarketChart,
    })
    if (body === undefined) return // aborted
    const {records, rejected} = marketChartRecords(
      body as Parameters<typeof marketChartRecords>[0],
      target,
      {from, until},
      options.includeMarketData,
    )
    if (rejected > 0) {
      context.count('backfill_rejected_point', rejected)
      context.logger.warn(
        `market_chart for ${key}: ${rejected} point(s) were not [time, price > 0] pairs and were left out`,
      )
    }
    for (let i = 0; i < records.length; i += EMIT_BATCH) {
      const slice = records.slice(i, i + EMIT_BATCH)
      progress.advance(key, Date.parse(slice[slice.length - 1].timestamp as string))
      await emit(slice, progress.checkpoint())
    }
    context.count('backfilled', records.length)
    context.logger.info(`backfilled ${records.length} point(s) for ${key}`, {from: new Date(from).toISOString()})
  }
}
