/**
 * The csv sink's per-batch serialisation: as it was until 2026-11-24 (records → arrays → csv-stringify/sync) against
 * the row writer it uses now (src/plugins/sink/csv/csv-row-writer.ts), which writes the same bytes (checked below on
 * the bench's candles and on awkward values; test/plugins/sink/csv/csv-row-writer.test.ts checks more).
 *   node --import tsx bench/micro/csv-rows.ts
 */
import {stringify, type Options} from 'csv-stringify/sync'
import {createCsvRowWriter} from '../../src/plugins/sink/csv/csv-row-writer.js'
import {micro, ratio} from '../lib/micro-harness.js'
import {BATCH, batches, candles, COLUMNS, START} from '../lib/candles.js'

const OPTIONS: Options = {delimiter: ',', eof: true, cast: {boolean: (value) => String(value)}}

/** What csv.ts did: one array per record, one stringify call per batch. */
function viaCsvStringify(records: Record<string, unknown>[], columns: string[], delimiter: string): string {
  return stringify(
    records.map((record) => columns.map((column) => record[column])),
    {...OPTIONS, delimiter},
  )
}

/** What csv.ts does now (src/plugins/sink/csv/csv-row-writer.ts), without the formula guard, as above. */
function createSerializer(columns: string[], delimiter: string) {
  return createCsvRowWriter(columns, {delimiter, castString: (text) => text})
}

// Same bytes, first: on the bench's candles and on values that need casting or quoting.
const awkward = [
  'plain',
  '',
  ' spaced ',
  'com,ma',
  'semi;colon',
  'tab\there',
  'quote"inside',
  '"quoted"',
  'line\nbreak',
  'cr\rhere',
  'crlf\r\n',
  'ünï€ødé',
  '=1+2',
  '-5',
  0,
  -0,
  1.5,
  -2.25,
  1e21,
  1e-7,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  12345678901234567890n,
  true,
  false,
  null,
  undefined,
  {a: 1, b: 'x,y'},
  [1, 'two', null],
  new Date(START),
]
for (const delimiter of [',', ';', '\t', '|']) {
  const rows = awkward.map((value, i) => ({a: value, b: awkward[(i * 7) % awkward.length], c: i}))
  for (const [records, columns] of [
    [rows, ['a', 'b', 'c']],
    [candles, COLUMNS],
  ] as const) {
    const expected = viaCsvStringify(records, [...columns], delimiter)
    const actual = createSerializer([...columns], delimiter)(records)
    if (actual !== expected)
      throw new Error(`serializer differs for delimiter ${JSON.stringify(delimiter)}:\n${actual}\n---\n${expected}`)
  }
}
process.stdout.write('serializer output is identical to csv-stringify on the candles and the awkward values\n')

const perBatch = (serialize: (records: Record<string, unknown>[]) => string) => (ops: number) => {
  let bytes = 0
  for (let i = 0; i < ops / BATCH; i++) bytes += serialize(batches[i % batches.length]).length
  return bytes
}
const serializer = createSerializer(COLUMNS, ',')
const current = micro(
  `csv-stringify, ${BATCH} candles per call (per row)`,
  200_000,
  perBatch((records) => viaCsvStringify(records, COLUMNS, ',')),
)
const small = micro(`row writer, ${BATCH} candles per call (per row)`, 200_000, perBatch(serializer))
ratio('the row writer is faster by', current, small)
