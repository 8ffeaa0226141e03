/**
 * Largest-Triangle-Three-Buckets (Steinarsson 2013): picks `threshold` points of a line so that its visual shape
 * survives — peaks and crashes are kept, unlike every-nth sampling or averaging, which flatten them. A chart 800 px
 * wide cannot show more than ~800 distinct x positions, so drawing 100k points only costs time.
 */

/**
 * Indices (into x/y) of the points to draw from the range [start, end). The first and last points are always kept;
 * each bucket between them contributes the point forming the largest triangle with the previously chosen point and
 * the average of the next bucket. Returns every index when the range already has at most `threshold` points.
 */
export function lttbIndices(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  start: number,
  end: number,
  threshold: number,
): Int32Array {
  const n = end - start
  if (n <= 0) return new Int32Array(0)
  if (threshold >= n || threshold <= 0) return Int32Array.from({length: n}, (_, i) => start + i)
  if (threshold === 1) return Int32Array.of(end - 1)
  if (threshold === 2) return Int32Array.of(start, end - 1)
  // Points strictly between the first and the last are split into threshold - 2 buckets of (fractional) size `every`.
  const every = (n - 2) / (threshold - 2)
  const edges = Array.from({length: threshold - 1}, (_, k) => start + Math.floor(k * every) + 1)
  return pick(x, y, start, end, edges)
}

/**
 * LTTB for a live chart: buckets have a "nice" size (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) and edges at
 * multiples of it in absolute row numbers (`phase` = number of the row at `start`). When a row arrives, classic LTTB
 * moves every bucket edge a little and re-picks about a third of the points; here only the last buckets change, so
 * the chart does not shimmer and vega only redraws what changed. Draws at most `threshold` points: about 0.8 ×
 * threshold or more once buckets hold 5 rows or more, at least half of it below that (sizes 1 to 5 are coarse steps).
 */
export function stableLttbIndices(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  start: number,
  end: number,
  threshold: number,
  phase: number,
): Int32Array {
  const n = end - start
  if (threshold >= n || threshold <= 2) return lttbIndices(x, y, start, end, threshold)
  const interior = threshold - 2
  let size = niceCeil((n - 2) / interior)
  // The partial buckets at both ends can add one bucket: grow the size until they fit.
  while (bucketCount(n, size, phase) > interior) size = niceCeil(size + 1)
  // Edges are the first index of each bucket: row number (phase + i - start) a multiple of size.
  const edges = [start + 1]
  let next = start + (Math.floor((phase + 1) / size) + 1) * size - phase
  for (; next < end - 1; next += size) edges.push(next)
  edges.push(end - 1)
  return pick(x, y, start, end, edges)
}

function bucketCount(n: number, size: number, phase: number): number {
  const first = Math.floor((phase + 1) / size)
  const last = Math.floor((phase + n - 2) / size)
  return last - first + 1
}

const NICE = [1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]

/** The smallest whole "nice" number ≥ value; below 5 every integer is nice (small buckets need fine steps). */
export function niceCeil(value: number): number {
  if (value <= 5) return Math.max(1, Math.ceil(value))
  const magnitude = 10 ** Math.floor(Math.log10(value))
  for (const step of NICE) {
    const candidate = Math.ceil(step * magnitude)
    if (candidate >= value) return candidate
  }
  return Math.ceil(10 * magnitude)
}

/**
 * The LTTB selection itself. `edges` holds the first index of each interior bucket followed by the end of the last
 * (so buckets are [edges[k], edges[k + 1])); the first and last points of the range are kept as they are.
 */
function pick(x: ArrayLike<number>, y: ArrayLike<number>, start: number, end: number, edges: number[]): Int32Array {
  const buckets = edges.length - 1
  const sampled = new Int32Array(buckets + 2)
  sampled[0] = start
  let a = start
  for (let bucket = 0; bucket < buckets; bucket++) {
    // The next bucket's average is the third corner of the triangle (the last point when this is the last bucket).
    const nextFrom = edges[bucket + 1]
    const nextTo = bucket + 2 < edges.length ? edges[bucket + 2] : end
    let avgX = 0
    let avgY = 0
    for (let i = nextFrom; i < nextTo; i++) {
      avgX += x[i]
      avgY += y[i]
    }
    const count = nextTo - nextFrom
    avgX /= count
    avgY /= count
    const ax = x[a]
    const ay = y[a]
    let best = edges[bucket]
    let bestArea = -1
    for (let i = edges[bucket]; i < edges[bucket + 1]; i++) {
      // Twice the triangle's area; the factor does not change which point wins.
      const area = Math.abs((ax - avgX) * (y[i] - ay) - (ax - x[i]) * (avgY - ay))
      if (area > bestArea) {
        bestArea = area
        best = i
      }
    }
    sampled[bucket + 1] = best
    a = best
  }
  sampled[buckets + 1] = end - 1
  return sampled
}
