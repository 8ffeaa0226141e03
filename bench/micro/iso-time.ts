/**
 * Window bounds as ISO text: Date#toISOString against isoTime (src/runtime/iso-time.ts), on the
 * bounds the throughput bench produces (1-minute windows over 5-minute data: a new window every 5 minutes).
 *   node --import tsx bench/micro/iso-time.ts
 */
import {isoTime} from '../../src/runtime/iso-time.js'
import {micro, ratio} from '../lib/micro-harness.js'

const START = Date.parse('2011-08-18T12:35:00.000Z')
const bounds = Array.from({length: 100_000}, (_, i) => START + i * 300_000 + (i % 2) * 60_000)
for (const ms of bounds) if (isoTime(ms) !== new Date(ms).toISOString()) throw new Error(`isoTime(${ms}) differs`)

const each = (format: (ms: number) => string) => (ops: number) => {
  let length = 0
  for (let i = 0; i < ops; i++) length += format(bounds[i % bounds.length]).length
  return length
}
const date = micro(
  'new Date(ms).toISOString()',
  1_000_000,
  each((ms) => new Date(ms).toISOString()),
)
const cached = micro('isoTime(ms)', 1_000_000, each(isoTime))
ratio('isoTime is faster by', date, cached)
