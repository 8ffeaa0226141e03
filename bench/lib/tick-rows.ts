/** Tick-like rows for the sink benchmarks: eight symbols in turn, one second apart, prices and volumes that vary. */
import type {EtlRecord} from '../../src/runtime/plugin-types.js'

const SYMBOLS = ['BTC', 'ETH', 'SOL', 'ADA', 'XRP', 'DOGE', 'DOT', 'LTC']

export function tickRows(count: number): EtlRecord[] {
  const start = Date.UTC(2026, 11, 1)
  return Array.from({length: count}, (_, n) => ({
    symbol: SYMBOLS[n % SYMBOLS.length],
    price_usd: 50_000 + Math.sin(n) * 1000 + n / 1000,
    volume: ((n * 7919) % 10_000) / 3,
    timestamp: new Date(start + n * 1_000).toISOString(),
  }))
}
