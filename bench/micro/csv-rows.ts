/**
 * The csv sink's per-batch serialisation, as it is (records → arrays → csv-stringify/sync) against a small serializer
 * that writes the same bytes (checked below on the bench's candles and on awkward values). Suggestion for the owner of
 * src/plugins/sink/csv.ts; that file is not changed here.
 *   node --import tsx bench/micro/csv-rows.ts
 */
import {stringify, type Options} from 'csv-stringify/sync'
import {micro, ratio} from './harness.js'

const BATCH = 500
const COLUMNS = ['symbol', 'window_start', 'window_end', 'open', 'high', 'low', 'close', 'volume', 'count']
const START = Date.parse('2011-08-18T12:35:00.000Z')
const candles = Array.from({length: BATCH * 20}, (_, i): Record<string, unknown> => ({
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

const OPTIONS: Options = {delimiter: ',', eof: true, cast: {boolean: (value) => String(value)}}

/** What csv.ts does today: one array per record, one stringify call per batch. */
function viaCsvStringify(records: Record<string, unknown>[], columns: string[], delimiter: string): string {
  return stringify(
    records.map((record) => columns.map((column) => record[column])),
    {...OPTIONS, delimiter},
  )
}

/**
 * The same output for a single-character delimiter (multi-character ones would keep csv-stringify): csv-stringify's
 * default casts (numbers and bigints as String, booleans as 'true'/'false' per csv.ts, Dates as epoch ms, other
 * objects as JSON, null/undefined empty) and its quoting (only fields containing the delimiter, a quote, CR or LF;
 * quotes doubled). One string per batch, no intermediate arrays.
 */
function createSerializer(columns: string[], delimiter: string) {
  const special = new RegExp(`[${delimiter.replace(/[\\\]^-]/g, '\\$&')}"\\r\\n]`)
  const text = (value: unknown): string => {
    switch (typeof value) {
      case 'string':
        return value
      case 'number':
      case 'bigint':
      case 'boolean':
        return String(value)
      case 'object':
        return value === null ? '' : value instanceof Date ? String(value.getTime()) : JSON.stringify(value)
      default:
        return value === undefined ? '' : String(value)
    }
  }
  const field = (value: unknown): string => {
    const cell = text(value)
    return special.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell
  }
  return (records: Record<string, unknown>[]): string => {
    let out = ''
    for (const record of records) {
      for (let i = 0; i < columns.length; i++) {
        if (i > 0) out += delimiter
        out += field(record[columns[i]])
      }
      out += '\n'
    }
    return out
  }
}

// Same bytes, first: on the bench's candles and on values that need casting or quoting.
const awkward = [
  'plain', '', ' spaced ', 'com,ma', 'semi;colon', 'tab\there', 'quote"inside', '"quoted"', 'line\nbreak', 'cr\rhere',
  'crlf\r\n', 'ünï€ødé', '=1+2', '-5', 0, -0, 1.5, -2.25, 1e21, 1e-7, Number.NaN, Number.POSITIVE_INFINITY, 12345678901234567890n,
  true, false, null, undefined, {a: 1, b: 'x,y'}, [1, 'two', null], new Date(START),
]
for (const delimiter of [',', ';', '\t', '|']) {
  const rows = awkward.map((value, i) => ({a: value, b: awkward[(i * 7) % awkward.length], c: i}))
  for (const [records, columns] of [[rows, ['a', 'b', 'c']], [candles, COLUMNS]] as const) {
    const expected = viaCsvStringify(records, [...columns], delimiter)
    const actual = createSerializer([...columns], delimiter)(records)
    if (actual !== expected) throw new Error(`serializer differs for delimiter ${JSON.stringify(delimiter)}:\n${actual}\n---\n${expected}`)
  }
}
process.stdout.write('serializer output is identical to csv-stringify on the candles and the awkward values\n')

const batches = Array.from({length: candles.length / BATCH}, (_, i) => candles.slice(i * BATCH, (i + 1) * BATCH))
const perBatch = (serialize: (records: Record<string, unknown>[]) => string) => (ops: number) => {
  let bytes = 0
  for (let i = 0; i < ops / BATCH; i++) bytes += serialize(batches[i % batches.length]).length
  return bytes
}
const serializer = createSerializer(COLUMNS, ',')
const current = micro(`csv-stringify, ${BATCH} candles per call (per row)`, 200_000, perBatch((records) => viaCsvStringify(records, COLUMNS, ',')))
const small = micro(`small serializer, ${BATCH} candles per call (per row)`, 200_000, perBatch(serializer))
ratio('the small serializer is faster by', current, small)
