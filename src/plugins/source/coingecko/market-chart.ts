/**
 * History for the coingecko source: /coins/{id}/market_chart turned into the same records the live poll emits, so
 * windows and charts downstream have data from the first second. CoinGecko picks the granularity from `days`
 * (1 → 5-minute points, 2–90 → hourly, more → daily); its last point is "now", which the live poll covers instead.
 */
import type {EtlRecord} from '../../../sdk/index.js'
import {chartPointProblem, marketChartBodyProblem} from './response-schema.js'

export interface MarketChartTarget {
  id: string
  vs: string
  symbol: string
}

export interface MarketChartResult {
  records: EtlRecord[]
  /** Points that were not [ms > 0, price > 0] pairs: counted by the caller, never emitted. */
  rejected: number
}

const DAY_MS = 86_400_000

/** `days` to ask for: whole days covering the span (CoinGecko rounds granularity by it). */
export function daysFor(spanMs: number): number {
  return Math.max(1, Math.ceil(spanMs / DAY_MS))
}

/** Describes what is wrong with a body, or undefined when it has the shape of a market_chart answer. */
export function checkMarketChart(body: unknown): string | undefined {
  return marketChartBodyProblem(body)
}

/**
 * Records for the points with from ≤ time < until, oldest first. Market cap and volume come from the same index of
 * their arrays when the timestamps agree (CoinGecko aligns them); otherwise they are null.
 */
export function marketChartRecords(
  body: {prices: unknown[]; market_caps?: unknown[]; total_volumes?: unknown[]},
  target: MarketChartTarget,
  window: {from: number; until: number},
  includeMarketData: boolean,
): MarketChartResult {
  const {id, vs, symbol} = target
  const records: EtlRecord[] = []
  let rejected = 0
  const aligned = (list: unknown[] | undefined, index: number, t: number): number | null => {
    const point = list?.[index] as [number, number] | undefined
    return chartPointProblem(point, 'amount') === undefined && point![0] === t ? point![1] : null
  }
  // The final point is "now" (off the granularity grid): the live poll reports the current price instead.
  const points = body.prices.slice(0, -1)
  for (const [index, point] of points.entries()) {
    // [time within 2009…tomorrow, finite price > 0] (response-schema.ts); anything else is left out and counted.
    if (chartPointProblem(point) !== undefined) {
      rejected++
      continue
    }
    const [t, price] = point as [number, number]
    if (t < window.from || t >= window.until) continue
    const record: EtlRecord = {
      symbol,
      [`price_${vs}`]: price,
      timestamp: new Date(t).toISOString(),
      coin_id: id,
      vs_currency: vs,
      source: 'coingecko_market_chart',
    }
    if (includeMarketData) {
      record[`market_cap_${vs}`] = aligned(body.market_caps, index, t)
      record[`volume_24h_${vs}`] = aligned(body.total_volumes, index, t)
      record.change_24h_pct = null
    }
    records.push(record)
  }
  records.sort((a, b) => Date.parse(a.timestamp as string) - Date.parse(b.timestamp as string))
  return {records, rejected}
}
