/**
 * Real price series for the indicator tests, helpers to interleave them into one stream like the topic carries, to
 * run a transform over arbitrary batch boundaries, and to compare floats the way the tests mean "equal".
 */
import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {EtlRecord, TransformInstance} from '../../../../src/runtime/plugin-types.js'

const DATA = join(import.meta.dirname, '../../../../data')

interface Candle {
  timestamp: string
  close: number
  volume: number
  high: number
}

function readCandles(file: string): Candle[] {
  const [header, ...lines] = readFileSync(join(DATA, file), 'utf8').trim().split('\n')
  const columns = header.split(',')
  const at = (name: string) => columns.indexOf(name)
  return lines.map((line) => {
    const cells = line.split(',')
    return {
      timestamp: new Date(Number(cells[at('unix_timestamp')]) * 1000).toISOString(),
      close: Number(cells[at('close')]),
      volume: Number(cells[at('volume')]),
      high: Number(cells[at('high')]),
    }
  })
}

const toRecord =
  (symbol: string, vsCurrency: string) =>
  (candle: Candle, scale = 1): EtlRecord => ({
    timestamp: candle.timestamp,
    symbol,
    vs_currency: vsCurrency,
    price_usd: candle.close * scale,
    volume: candle.volume,
    source: 'replay',
  })

/** BTC/usd daily closes 2011–2025 (5,152 records). */
export function btcDaily(): EtlRecord[] {
  return readCandles('btcusd-1d-2011-2025.csv').map((candle) => toRecord('BTC', 'usd')(candle))
}

/**
 * A second coin: the 2011 five-minute BTC file relabelled ETH/usd. It is real data on another scale ($2–$15) and full
 * of flat stretches and zero-volume runs, which exercise the z = 0 and Σvolume = 0 paths.
 */
export function ethFiveMinute(limit = 12_000): EtlRecord[] {
  return readCandles('btcusd-5m-2011.csv')
    .slice(0, limit)
    .map((candle) => toRecord('ETH', 'usd')(candle))
}

/** Same symbol as btcDaily, another currency (prices × 0.9): keeps the two-field key honest. */
export function btcEurDaily(): EtlRecord[] {
  return readCandles('btcusd-1d-2011-2025.csv').map((candle) => toRecord('BTC', 'eur')(candle, 0.9))
}

/** Deterministic PRNG (mulberry32), so a failing shuffle or batch split can be replayed. */
export function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Merges series into one stream at random, keeping each series' own order (as a topic partition does per key). */
export function interleave(series: EtlRecord[][], seed = 7): EtlRecord[] {
  const next = random(seed)
  const positions = series.map(() => 0)
  const out: EtlRecord[] = []
  for (;;) {
    const open = series.map((_, i) => i).filter((i) => positions[i] < series[i].length)
    if (open.length === 0) return out
    const pick = open[Math.floor(next() * open.length)]
    out.push(series[pick][positions[pick]++])
  }
}

/** Runs records through a transform in batches of random size (1…maxBatch), or all at once when maxBatch is 0. */
export async function runBatches(instance: TransformInstance, records: EtlRecord[], maxBatch = 0, seed = 3) {
  if (maxBatch === 0) return instance.process(records)
  const next = random(seed)
  const out: EtlRecord[] = []
  for (let i = 0; i < records.length;) {
    const size = 1 + Math.floor(next() * maxBatch)
    out.push(...(await instance.process(records.slice(i, i + size))))
    i += size
  }
  return out
}

/** Output records of one series, in order. */
export function seriesOf(records: EtlRecord[], symbol: string, vsCurrency = 'usd'): EtlRecord[] {
  return records.filter((record) => record.symbol === symbol && record.vs_currency === vsCurrency)
}

/**
 * Equal within `rel` relative error; nulls must match exactly. `scale` is a floor for the magnitude the error is
 * relative to, for quantities such as a z-score whose natural unit is 1 and which pass through 0.
 */
export function expectClose(actual: unknown, expected: number | null, what: string, rel = 1e-9, scale = 0): void {
  if (expected === null) {
    expect(actual, what).to.equal(null)
    return
  }
  expect(actual, what).to.be.a('number')
  const tolerance = rel * Math.max(Math.abs(expected), scale)
  if (!(Math.abs((actual as number) - expected) <= tolerance)) {
    expect.fail(`${what}: got ${actual as number}, expected ${expected} (±${tolerance})`)
  }
}

/** Plain mean of a slice: the "fresh computation" every rolling result is held against. */
export const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length
