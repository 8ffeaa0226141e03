/**
 * Merges consecutive candles into at most `maxPoints` wider candles, the way a trading chart zooms out: open of the
 * first, close of the last, highest high, lowest low, summed volume. Unlike LTTB this keeps every extreme: a wick that
 * touched a price is still drawn touching it.
 */

export interface CandleColumns {
  t: ArrayLike<number>
  open: ArrayLike<number>
  high: ArrayLike<number>
  low: ArrayLike<number>
  close: ArrayLike<number>
  volume: ArrayLike<number>
  value: ArrayLike<number>
  ma: ArrayLike<number>
}

export interface Candle {
  /** Time of the bucket's first candle. */
  t: number
  open: number
  high: number
  low: number
  close: number
  volume: number
  /** value and moving average as of the bucket's last candle (its close). */
  value: number
  ma: number
  /** How many input candles the bucket merged. */
  count: number
}

/**
 * Candles of the range [start, end), merged into buckets of equal count. `phase` is the absolute sequence number of
 * the row at `start` (rows appended so far minus rows still held): bucket edges are aligned to it, so when new rows
 * arrive and old ones leave the window, existing buckets keep their members instead of shifting by one every render.
 */
export function ohlcBuckets(
  columns: CandleColumns,
  start: number,
  end: number,
  maxPoints: number,
  phase = 0,
): Candle[] {
  const n = end - start
  if (n <= 0) return []
  const limit = Math.max(1, Math.floor(maxPoints))
  let size = Math.max(1, Math.ceil(n / limit))
  let offset = ((phase % size) + size) % size
  // Alignment can leave a partial bucket at each end; widen until the count fits.
  while (Math.ceil((offset + n) / size) > limit) {
    size++
    offset = ((phase % size) + size) % size
  }
  const candles: Candle[] = []
  let from = start
  while (from < end) {
    const to = Math.min(end, from + (size - (candles.length === 0 ? offset : 0)))
    let high = -Infinity
    let low = Infinity
    let volume = 0
    for (let i = from; i < to; i++) {
      if (columns.high[i] > high) high = columns.high[i]
      if (columns.low[i] < low) low = columns.low[i]
      volume += columns.volume[i]
    }
    const last = to - 1
    candles.push({
      t: columns.t[from],
      open: columns.open[from],
      high,
      low,
      close: columns.close[last],
      volume,
      value: columns.value[last],
      ma: columns.ma[last],
      count: to - from,
    })
    from = to
  }
  return candles
}
