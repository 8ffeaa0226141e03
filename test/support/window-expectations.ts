/**
 * Input ticks for the windowed scale-out and restart tests, and the hourly windows they must give, computed here by
 * brute force without any code under test; plus reading windows back from the CSV files the pipeline wrote.
 */
import {parse} from 'csv-parse/sync'
import {existsSync, readFileSync} from 'node:fs'
import {expect} from 'chai'

export const HOUR = 3_600_000
/** 2024-05-01T00:00:00Z: an hour boundary, so window starts are easy to read in failures. */
export const BASE = Date.parse('2024-05-01T00:00:00Z')

export interface Tick {
  symbol: string
  vs_currency: string
  timestamp: string
  price_usd: number
}

export const symbols = (count: number) => Array.from({length: count}, (_, i) => `S${String(i).padStart(2, '0')}`)

/** One tick per symbol every `stepMs` in [from, to), prices varying by symbol and time; time order within a symbol. */
export function ticks(names: string[], from: number, to: number, stepMs: number): Tick[] {
  const out: Tick[] = []
  for (let t = from; t < to; t += stepMs) {
    for (const [i, symbol] of names.entries()) {
      // Offset each symbol a little so ticks of different symbols do not share timestamps.
      const at = t + i * 1000
      out.push({
        symbol,
        vs_currency: 'usd',
        timestamp: new Date(at).toISOString(),
        price_usd: Math.round((100 + i * 7 + Math.sin(at / 600_000) * 3) * 100) / 100,
      })
    }
  }
  return out
}

export const asMessages = (records: Tick[]) => records.map((r) => ({key: r.symbol, value: JSON.stringify(r)}))

export interface WindowTotals {
  n: number
  total: number
}

/**
 * Hourly tumbling windows with lateness 0, as `window` must emit them: per symbol, every window whose end is at or
 * before that symbol's latest event time (its watermark), with the count and sum of its ticks. Key: `symbol|start`.
 */
export function expectedWindows(all: Tick[], size = HOUR): Map<string, WindowTotals> {
  const latest = new Map<string, number>()
  for (const tick of all)
    latest.set(tick.symbol, Math.max(latest.get(tick.symbol) ?? -Infinity, Date.parse(tick.timestamp)))
  const windows = new Map<string, WindowTotals>()
  for (const tick of all) {
    const at = Date.parse(tick.timestamp)
    const start = Math.floor(at / size) * size
    if (start + size > latest.get(tick.symbol)!) continue
    const key = `${tick.symbol}|${new Date(start).toISOString()}`
    const totals = windows.get(key) ?? {n: 0, total: 0}
    windows.set(key, {n: totals.n + 1, total: totals.total + tick.price_usd})
  }
  return windows
}

export interface WindowRow {
  symbol: string
  window_start: string
  window_end: string
  n: string
  total: string
}

export function readWindowRows(path: string): WindowRow[] {
  if (!existsSync(path)) return []
  return parse(readFileSync(path, 'utf8'), {columns: true}) as WindowRow[]
}

/** Every expected window exactly once across the rows, with its exact count and (to rounding) its sum; nothing else. */
export function expectExactlyOnce(rows: WindowRow[], expected: Map<string, WindowTotals>): void {
  const seen = new Map<string, WindowRow[]>()
  for (const row of rows) {
    const key = `${row.symbol}|${row.window_start}`
    seen.set(key, [...(seen.get(key) ?? []), row])
  }
  const duplicated = [...seen].filter(([, list]) => list.length > 1).map(([key, list]) => `${key} ×${list.length}`)
  expect(duplicated, 'windows written more than once').to.deep.equal([])
  expect(
    [...seen.keys()].filter((key) => !expected.has(key)),
    'windows that should not exist',
  ).to.deep.equal([])
  expect(
    [...expected.keys()].filter((key) => !seen.has(key)),
    'windows missing',
  ).to.deep.equal([])
  const wrong: string[] = []
  for (const [key, want] of expected) {
    const [row] = seen.get(key)!
    if (Number(row.n) !== want.n || Math.abs(Number(row.total) - want.total) > 1e-6 * Math.max(1, want.total)) {
      wrong.push(`${key}: n ${row.n} total ${row.total}, want n ${want.n} total ${want.total}`)
    }
  }
  expect(wrong, 'windows with wrong totals').to.deep.equal([])
}
