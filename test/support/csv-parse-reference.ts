/**
 * The replay source's CSV reading as it was before batches (csv-parse for every row, with the options replay used
 * until 2026-11-24): the reference readCsvRowBatches must match exactly (test/plugins/source/replay/csv-rows.test.ts),
 * and the baseline of bench/micro/csv-read.ts.
 */
import {createReadStream} from 'node:fs'
import {parse, type Options as ParseOptions} from 'csv-parse'
import {messageOf} from '../../src/runtime/errors.js'
import type {CsvRow} from '../../src/plugins/source/replay/csv-rows.js'

export async function* referenceRows(path: string, onSkip: (line: number, reason: string) => void) {
  const options: ParseOptions = {
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_records_with_error: true,
    info: true,
  }
  const input = createReadStream(path)
  const parser = parse({
    ...options,
    columns: (header: string[]) => header.map((name) => name.trim()),
    on_skip: (error) => {
      onSkip((error as {lines?: number} | undefined)?.lines ?? 0, messageOf(error))
      return undefined
    },
  })
  input.on('error', (error) => parser.destroy(error))
  input.pipe(parser)
  try {
    for await (const {record, info} of parser as AsyncIterable<{record: CsvRow['values']; info: {lines: number}}>) {
      yield {values: record, line: info.lines} satisfies CsvRow
    }
  } finally {
    input.destroy()
    parser.destroy()
  }
}
