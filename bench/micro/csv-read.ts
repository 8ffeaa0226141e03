/**
 * The replay source's CSV reading: as it was until 2026-11-24 (csv-parse for every row, one `for await` per row)
 * against readCsvRowBatches (src/plugins/source/replay/csv-rows.ts: quote-free lines split directly, one batch per
 * 64 KiB chunk), reading the bench's data/btcusd-5m-2011.csv into rows. Same rows and line numbers first (checked
 * below; test/plugins/source/replay/csv-rows.test.ts checks many more files). Figures are per row, median of 25
 * rounds.
 *   node --import tsx bench/micro/csv-read.ts
 */
import {isDeepStrictEqual} from 'node:util'
import {readCsvRowBatches, type CsvRow} from '../../src/plugins/source/replay/csv-rows.js'
import {referenceRows} from '../../test/support/csv-parse-reference.js'
import type {MicroResult} from '../lib/micro-harness.js'
import {ratio} from '../lib/micro-harness.js'

const PATH = new URL('../../data/btcusd-5m-2011.csv', import.meta.url).pathname

/** What replay read through until 2026-11-24 (readCsvRows), rows collected the way replay's loop saw them. */
async function viaCsvParse(onRow: (row: CsvRow) => void): Promise<void> {
  for await (const row of referenceRows(PATH, () => {})) onRow(row)
}

async function viaBatches(onRow: (row: CsvRow) => void): Promise<void> {
  for await (const rows of readCsvRowBatches(PATH, new AbortController().signal, () => {})) {
    for (const row of rows) onRow(row)
  }
}

type Reader = (onRow: (row: CsvRow) => void) => Promise<void>

/** Keeps the rows' line numbers alive, as micro-harness.ts's sink does. */
export let sink: unknown

async function collect(read: Reader): Promise<CsvRow[]> {
  const rows: CsvRow[] = []
  await read((row) => rows.push(row))
  return rows
}

/** micro-harness.ts's micro(), for an async case: one round reads the whole file; ns per row, median of the rounds. */
async function microAsync(name: string, read: Reader, rounds = 25): Promise<MicroResult> {
  let rows = 0
  let lines = 0
  const count = (row: CsvRow) => {
    rows++
    lines += row.line
  }
  await read(count)
  const times: number[] = []
  for (let round = 0; round < rounds; round++) {
    rows = 0
    const start = process.hrtime.bigint()
    await read(count)
    times.push(Number(process.hrtime.bigint() - start) / rows)
  }
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]
  const result = {name, nsPerOp: median, spread: (times[times.length - 1] - times[0]) / median}
  const spread = `(spread ${(result.spread * 100).toFixed(0)} %)`
  process.stdout.write(`${name.padEnd(58)} ${median.toFixed(1).padStart(9)} ns/op  ${spread}\n`)
  sink = lines
  return result
}

const [expected, actual] = [await collect(viaCsvParse), await collect(viaBatches)]
if (!isDeepStrictEqual(actual, expected) || JSON.stringify(actual) !== JSON.stringify(expected)) {
  throw new Error('readCsvRowBatches reads data/btcusd-5m-2011.csv differently from csv-parse')
}
process.stdout.write(`both readers give the same ${expected.length} rows and line numbers\n`)

const old = await microAsync('csv-parse, one await per row (per row)', viaCsvParse)
const fresh = await microAsync('readCsvRowBatches, one await per chunk (per row)', viaBatches)
ratio('readCsvRowBatches is faster by', old, fresh)
