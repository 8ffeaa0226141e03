/**
 * Streaming CSV reading for sources: rows come in batches with their line number, and rows csv-parse cannot read are
 * reported instead of thrown, so one bad line never ends a replay of a large file.
 */
import {createReadStream} from 'node:fs'
import {Readable} from 'node:stream'
import {parse, type Options as ParseOptions} from 'csv-parse'
import {messageOf} from '../../../sdk/index.js'
import {CsvFastLines, type CsvHandoff} from './csv-fast-lines.js'

export interface CsvRow {
  /** Cells keyed by (trimmed) header name; undefined where the row is short. */
  values: Record<string, string | undefined>
  /** 1-based line number in the file, for messages. */
  line: number
}

const PARSE_OPTIONS: ParseOptions = {
  bom: true,
  // No `trim`: csv-parse 6 stops emitting rows after a skipped bad row when it is on; numbers are trimmed by Number().
  skip_empty_lines: true,
  relax_column_count: true,
  // A stray quote inside a cell stays text (and fails number parsing on that row) instead of swallowing later lines.
  relax_quotes: true,
  skip_records_with_error: true,
  info: true,
}

/** Rows are read in file chunks of this size; each chunk's rows come as one batch. */
const CHUNK_BYTES = 64 * 1024

/**
 * Streams rows as objects keyed by header, one batch per file chunk read, so a consumer pays one await per chunk
 * rather than per row. Lines without quotes are split directly (csv-fast-lines.ts); from the first line the fast path
 * cannot read exactly like csv-parse (a quote, a stray \r), csv-parse reads the rest with the options above, with the
 * same rows and line numbers. Rows csv-parse cannot read (bad quoting) go to onSkip, not an exception.
 * `chunkBytes` exists for tests (small chunks split lines and UTF-8 characters).
 */
export async function* readCsvRowBatches(
  path: string,
  signal: AbortSignal,
  onSkip: (line: number, reason: string) => void,
  chunkBytes = CHUNK_BYTES,
): AsyncGenerator<CsvRow[]> {
  const input = createReadStream(path, {highWaterMark: chunkBytes})
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const lines = new CsvFastLines()
  try {
    for (;;) {
      if (signal.aborted) return
      const next = await chunks.next()
      const rows = next.done ? lines.end() : lines.push(next.value)
      if (rows.length > 0) {
        if (signal.aborted) return
        yield rows
      }
      if (lines.handoff) {
        yield* parseRest(lines.handoff, chunks, signal, onSkip)
        return
      }
      if (next.done) return
    }
  } finally {
    input.destroy()
  }
}

/** csv-parse reads the hand-off's head and then the file's remaining chunks, exactly as it would have read the file. */
async function* parseRest(
  handoff: CsvHandoff,
  chunks: AsyncIterator<Buffer>,
  signal: AbortSignal,
  onSkip: (line: number, reason: string) => void,
): AsyncGenerator<CsvRow[]> {
  const source = Readable.from(
    (async function* () {
      yield* handoff.head
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value
    })(),
    {objectMode: false},
  )
  const parser = parse({
    ...PARSE_OPTIONS,
    columns: handoff.columns ?? ((header: string[]) => header.map((name) => name.trim())),
    on_skip: (error) => {
      onSkip((error as {lines?: number} | undefined)?.lines ?? 0, messageOf(error))
      return undefined
    },
  })
  source.on('error', (error) => parser.destroy(error))
  source.pipe(parser)
  try {
    let batch: CsvRow[] = []
    for await (const {record, info} of parser as AsyncIterable<{record: CsvRow['values']; info: {lines: number}}>) {
      if (signal.aborted) return
      batch.push({values: record, line: info.lines})
      // Whatever csv-parse has parsed so far makes one batch.
      if (parser.readableLength === 0) {
        yield batch
        batch = []
      }
    }
    if (batch.length > 0 && !signal.aborted) yield batch
  } finally {
    source.destroy()
    parser.destroy()
  }
}

/** Reads the header row so a misnamed column fails at start-up instead of rejecting every row. */
export async function readCsvHeader(path: string): Promise<string[]> {
  const input = createReadStream(path)
  const parser = parse({bom: true, to_line: 1})
  // pipe() does not forward read errors (EISDIR, EACCES); without this they would be unhandled and crash the process.
  input.on('error', (error) => parser.destroy(error))
  input.pipe(parser)
  try {
    for await (const header of parser as AsyncIterable<string[]>) return header.map((name) => name.trim())
    return []
  } finally {
    input.destroy()
  }
}

/** A number cell, or undefined when it is empty or not a finite number. */
export function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined
  const value = Number(text)
  return Number.isFinite(value) ? value : undefined
}

const ZONELESS = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/

/** Event time in epoch ms, or undefined when the cell is not a usable time. */
export function parseTime(text: string | undefined, unit: 's' | 'ms' | 'iso'): number | undefined {
  let ms: number | undefined
  if (unit === 'iso') {
    const trimmed = text?.trim() ?? ''
    // History files write UTC without a zone ("2011-08-18 00:00:00"); Date.parse would read that as local time.
    ms = Date.parse(ZONELESS.test(trimmed) ? trimmed.replace(' ', 'T') + 'Z' : trimmed)
  } else {
    const value = parseNumber(text)
    ms = value === undefined ? undefined : Math.round(unit === 's' ? value * 1000 : value)
  }
  return ms !== undefined && Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? ms : undefined
}
