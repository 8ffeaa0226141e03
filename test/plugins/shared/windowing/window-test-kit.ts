/** Helpers shared by the windowing tests: a window transform with its own state folder, and a seeded random source. */
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {AggregateSpec} from '../../../../src/plugins/shared/windowing/aggregates.js'
import {WindowEngine, type WindowEngineOptions} from '../../../../src/plugins/shared/windowing/window-engine.js'
import type {EtlRecord, PluginDefinition, TransformInstance} from '../../../../src/runtime/plugin-types.js'
import {configFor, testContext, type TestContext} from '../../../support/plugin-context.js'
import {seededRandom} from '../../../support/seeded-random.js'

export const MINUTE = 60_000
export const DAY = 86_400_000

export interface WindowHarness extends TestContext {
  instance: TransformInstance
  process(records: EtlRecord[]): Promise<EtlRecord[]>
  stateDir: string
}

/** A fresh state folder per harness unless one is passed (to play a restart), so no test sees another's snapshot. */
export async function harness<Config>(
  definition: PluginDefinition<'transform', Config>,
  config: Record<string, unknown>,
  stateDir = mkdtempSync(join(tmpdir(), 'etl-window-test-')),
): Promise<WindowHarness> {
  const test = testContext({stateDir})
  const instance = (await definition.create(configFor(definition, config), test.context)) as TransformInstance
  return {...test, instance, stateDir, process: async (records) => instance.process(records)}
}

/** Feeds records in consecutive batches of the given sizes (the last size repeats) and concatenates the output. */
export async function feed(
  process: (records: EtlRecord[]) => Promise<EtlRecord[]> | EtlRecord[],
  records: EtlRecord[],
  sizes: number[],
) {
  const out: EtlRecord[] = []
  for (let at = 0, i = 0; at < records.length; i++) {
    const size = sizes[Math.min(i, sizes.length - 1)]
    out.push(...(await process(records.slice(at, at + size))))
    at += size
  }
  return out
}

/** A seeded random source (mulberry32), so a failing sequence can be replayed. */
export const random = seededRandom

export const iso = (ms: number) => new Date(ms).toISOString()

/** Output split by symbol, each list in emission order (lib ES2023 has no Object.groupBy). */
export function bySymbol(records: EtlRecord[]): Record<string, EtlRecord[]> {
  const groups: Record<string, EtlRecord[]> = {}
  for (const record of records) (groups[record.symbol as string] ??= []).push(record)
  return groups
}

export const PRICE_AGGREGATES: AggregateSpec[] = [
  {name: 'first', op: 'first', field: 'price'},
  {name: 'last', op: 'last', field: 'price'},
  {name: 'min', op: 'min', field: 'price'},
  {name: 'max', op: 'max', field: 'price'},
  {name: 'sum', op: 'sum', field: 'price'},
  {name: 'avg', op: 'avg', field: 'price'},
  {name: 'n', op: 'count'},
]

export function engine(options: Partial<WindowEngineOptions> = {}) {
  const rejected: {record: EtlRecord; code: string; reason: string}[] = []
  const counts = new Map<string, number>()
  const instance = new WindowEngine(
    {
      time: 'timestamp',
      key: ['symbol'],
      spec: {size: MINUTE, slide: MINUTE, lateness: 0},
      aggregates: PRICE_AGGREGATES,
      emit: 'final',
      late: 'dead-letter',
      ...options,
    },
    {
      reject: (record, code, reason) => void rejected.push({record, code, reason}),
      count: (event, amount = 1) => void counts.set(event, (counts.get(event) ?? 0) + amount),
    },
  )
  return {engine: instance, rejected, counts, process: (records: EtlRecord[]) => instance.process(records)}
}

/**
 * A messy multi-key stream: mostly advancing time, some records out of order by up to 200 s (late or not, depending
 * on lateness), a few bad prices and bad times; both ISO and epoch-ms timestamps.
 */
export function messyStream(seed: number, n: number): EtlRecord[] {
  const rnd = random(seed)
  const base = Date.parse('2024-03-01T00:00:00Z')
  const clocks: Record<string, number> = {BTC: base, ETH: base, SOL: base + 7 * MINUTE}
  const keys = Object.keys(clocks)
  return Array.from({length: n}, (_, i) => {
    const symbol = keys[Math.floor(rnd() * keys.length)]
    clocks[symbol] += Math.floor(rnd() * 20_000)
    const t = rnd() < 0.2 ? clocks[symbol] - Math.floor(rnd() * 200_000) : clocks[symbol]
    const roll = rnd()
    const price =
      roll < 0.02 ? Number.NaN : roll < 0.03 ? 'n/a' : roll < 0.04 ? undefined : Math.round(rnd() * 1e6) / 100
    return {symbol, timestamp: rnd() < 0.01 ? 'yesterday' : rnd() < 0.5 ? iso(t) : t, price, seq: i}
  })
}
