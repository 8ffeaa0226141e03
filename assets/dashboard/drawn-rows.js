// Which rows the view draws: a chart's plot is ~800 px wide, so of each key's rows near the visible time range only
// the first, lowest, highest and last of every pixel-wide time bucket are drawn (extremes stay visible). Buckets are
// anchored to fixed multiples of a power-of-two duration, so a new row changes only the last bucket and the view's
// changeset stays a few rows; the tooltip and the cards still read every row.

/** Bucket length (ms, a power of two) for `span` ms over `pixels` px: the same for spans up to twice as long. */
export function bucketFor(span, pixels) {
  const perPixel = Math.max(1, span / Math.max(1, pixels))
  return 2 ** Math.ceil(Math.log2(perPixel))
}

/** First index whose `field` is at least `value` (rows sorted by it). */
export function lowerBound(list, field, value) {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (list[mid][field] < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Adds to `out` the rows of `list` (sorted by time) between from and to that represent their buckets. */
export function pickRows(list, fields, from, to, bucket, out) {
  const {time, value} = fields
  const start = lowerBound(list, time, from)
  let i = start
  while (i < list.length && list[i][time] <= to) {
    const key = Math.floor(list[i][time] / bucket)
    let low = list[i]
    let high = list[i]
    const first = list[i]
    let last = list[i]
    for (; i < list.length && list[i][time] <= to && Math.floor(list[i][time] / bucket) === key; i++) {
      last = list[i]
      if (last[value] < low[value]) low = last
      if (last[value] > high[value]) high = last
    }
    out.add(first)
    out.add(low)
    out.add(high)
    out.add(last)
  }
  // The rows just outside the range, so lines run on to the plot's edges.
  if (start > 0) out.add(list[start - 1])
  if (i < list.length) out.add(list[i])
}
