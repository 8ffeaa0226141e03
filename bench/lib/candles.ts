/**
 * The throughput bench's candles as the csv sink gets them (one text key, two ISO bounds, six numbers), in batches of
 * 500: the input of the csv micro-benchmarks.
 */
export const BATCH = 500
export const COLUMNS = ['symbol', 'window_start', 'window_end', 'open', 'high', 'low', 'close', 'volume', 'count']
export const START = Date.parse('2011-08-18T12:35:00.000Z')
export const candles = Array.from({length: BATCH * 20}, (_, i): Record<string, unknown> => ({
  symbol: 'BTC',
  window_start: new Date(START + i * 300_000).toISOString(),
  window_end: new Date(START + i * 300_000 + 60_000).toISOString(),
  open: 10.9 + (i % 97) / 100,
  high: 11.2 + (i % 89) / 100,
  low: 10.1 + (i % 83) / 100,
  close: 10.95 + (i % 79) / 100,
  volume: 0.48990826 * (i % 13),
  count: 1,
}))
export const batches = Array.from({length: candles.length / BATCH}, (_, i) => candles.slice(i * BATCH, (i + 1) * BATCH))
