/**
 * The csv sink's row writer (src/plugins/sink/csv/csv-row-writer.ts) with the formula guard on, as the sink runs it, on
 * the throughput bench's candles (one text key, two ISO bounds, six numbers). With a path argument it also times
 * another checkout's writer (e.g. a copy of HEAD) in the same process, after checking both write the same bytes:
 *   node --import tsx bench/micro/csv-row-writer.ts [/path/to/other/checkout]
 */
import {join} from 'node:path'
import {micro, ratio, type MicroResult} from '../lib/micro-harness.js'
import {BATCH, batches, candles, COLUMNS} from '../lib/candles.js'

const ROOT = join(import.meta.dirname, '../..')

type Writer = (records: readonly Record<string, unknown>[]) => string

async function writerFrom(root: string): Promise<Writer> {
  const {createCsvRowWriter} = (await import(
    join(root, 'src/plugins/sink/csv/csv-row-writer.ts')
  )) as typeof import('../../src/plugins/sink/csv/csv-row-writer.js')
  const {neutralizeFormula} = (await import(
    join(root, 'src/plugins/sink/csv/csv-formula-guard.ts')
  )) as typeof import('../../src/plugins/sink/csv/csv-formula-guard.js')
  return createCsvRowWriter(COLUMNS, {delimiter: ',', castString: neutralizeFormula})
}

function time(label: string, write: Writer): MicroResult {
  return micro(label, 200_000, (ops) => {
    let bytes = 0
    for (let i = 0; i < ops / BATCH; i++) bytes += write(batches[i % batches.length]).length
    return bytes
  })
}

const other = process.argv[2]
const current = await writerFrom(ROOT)
if (other) {
  const previous = await writerFrom(other)
  if (previous(candles) !== current(candles)) throw new Error(`the writer of ${other} writes other bytes`)
}
const before = other ? time(`row writer from ${other}, guarded (per row)`, await writerFrom(other)) : undefined
const after = time('row writer from this checkout, guarded (per row)', current)
if (before) ratio('this checkout is faster by', before, after)
