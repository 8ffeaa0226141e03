/**
 * The process stage's decodeRecord (Buffer → utf8 text → JSON.parse → object), split into its parts, on the bench's
 * 175-byte replay records. Shows where its time goes and what the alternatives would give. Suggestion for the owner of
 * src/runtime/stages/process-stage.ts; that file is not changed here.
 *   node --import tsx bench/micro/decode-record.ts
 */
import {isAscii} from 'node:buffer'
import {micro} from '../lib/micro-harness.js'

const START = Date.parse('2011-08-18T12:35:00.000Z')
const values = Array.from({length: 10_000}, (_, i) =>
  Buffer.from(
    JSON.stringify({
      symbol: 'BTC',
      price_usd: 10.9 + (i % 97) / 100,
      timestamp: new Date(START + i * 300_000).toISOString(),
      coin_id: 'bitcoin',
      vs_currency: 'usd',
      source: 'replay',
      open: 10.9,
      high: 11.2,
      low: 10.1,
      volume: 0.48990826 * (i % 13),
    }),
  ),
)
const texts = values.map((value) => value.toString('utf8'))
process.stdout.write(
  `mean record ${Math.round(values.reduce((sum, value) => sum + value.length, 0) / values.length)} B\n`,
)

const loop = (work: (i: number) => unknown) => (ops: number) => {
  let last: unknown
  for (let i = 0; i < ops; i++) last = work(i % values.length)
  return last
}
const whole = micro(
  'decodeRecord: JSON.parse(value.toString("utf8"))',
  500_000,
  loop((i) => JSON.parse(values[i].toString('utf8'))),
)
micro(
  '  of which value.toString("utf8")',
  500_000,
  loop((i) => values[i].toString('utf8')),
)
const parseOnly = micro(
  '  of which JSON.parse(text)',
  500_000,
  loop((i) => JSON.parse(texts[i])),
)
micro(
  'isAscii check + latin1 decode + JSON.parse',
  500_000,
  loop((i) => JSON.parse(isAscii(values[i]) ? values[i].toString('latin1') : values[i].toString('utf8'))),
)
process.stdout.write(
  `JSON.parse alone is ${Math.round((parseOnly.nsPerOp / whole.nsPerOp) * 100)} % of the whole decode\n`,
)
