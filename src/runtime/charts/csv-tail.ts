/**
 * Reads a CSV file that another process (a csv sink) keeps appending to, returning only the rows added since the last
 * read. Only complete lines are consumed, so a row the writer has half written is picked up whole next time; a file
 * that shrank or was replaced starts over from its header (the caller resets the chart's data).
 */
import {open, stat} from 'node:fs/promises'
import {parse} from 'csv-parse/sync'

export interface TailResult {
  /** True when the file was truncated or replaced: rows start over from the beginning. */
  reset: boolean
  rows: Record<string, string>[]
  /** Lines csv-parse could not read (counted by the caller, never silently dropped). */
  skipped: number
}

const NEWLINE = 0x0a
/** Large histories are read in slices so a 100 MB CSV never needs a 100 MB buffer at once. */
const READ_CHUNK = 4 * 1024 * 1024

/** A stray quote must not stall the tail forever: past this much unterminated text, the last newline is taken. */
const MAX_OPEN_QUOTE_BYTES = 1024 * 1024
const QUOTE = 0x22

/**
 * Index of the last newline that ends a record: one outside quotes (an even number of quote characters before it —
 * CSV escapes a quote by doubling it, so parity tells). A newline inside a quoted field the writer has not finished
 * is not a record end; -1 when there is none yet.
 */
function lastRecordEnd(data: Buffer): number {
  let inQuotes = false
  let end = -1
  for (let i = 0; i < data.length; i++) {
    const byte = data[i]
    if (byte === QUOTE) inQuotes = !inQuotes
    else if (byte === NEWLINE && !inQuotes) end = i
  }
  if (inQuotes && data.length - end > MAX_OPEN_QUOTE_BYTES) return data.lastIndexOf(NEWLINE)
  return end
}

export class CsvTail {
  private offset = 0
  private header: string[] | undefined
  private identity: string | undefined

  constructor(readonly path: string) {}

  /** Rows appended since the last call; an absent file yields nothing (it may not have been written yet). */
  async read(): Promise<TailResult> {
    const info = await stat(this.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    if (!info) return {reset: this.forget(), rows: [], skipped: 0}
    const identity = `${info.dev}:${info.ino}`
    let reset = false
    if ((this.identity !== undefined && identity !== this.identity) || info.size < this.offset) reset = this.forget()
    this.identity = identity
    if (info.size === this.offset) return {reset, rows: [], skipped: 0}

    const rows: Record<string, string>[] = []
    let skipped = 0
    const file = await open(this.path, 'r')
    try {
      let carry = Buffer.alloc(0)
      while (this.offset + carry.length < info.size) {
        const want = Math.min(READ_CHUNK, info.size - this.offset - carry.length)
        const chunk = Buffer.alloc(want)
        const {bytesRead} = await file.read(chunk, 0, want, this.offset + carry.length)
        if (bytesRead === 0) break
        const data = Buffer.concat([carry, chunk.subarray(0, bytesRead)])
        const end = lastRecordEnd(data)
        if (end < 0) {
          carry = data
          continue
        }
        const parsed = this.parseLines(data.subarray(0, end + 1).toString('utf8'))
        if (!parsed) break
        for (const row of parsed.rows) rows.push(row)
        skipped += parsed.skipped
        this.offset += end + 1
        carry = data.subarray(end + 1)
      }
    } finally {
      await file.close()
    }
    return {reset, rows, skipped}
  }

  private parseLines(text: string): {rows: Record<string, string>[]; skipped: number} | undefined {
    let records: string[][]
    let skipped = 0
    try {
      records = parse(text, {
        bom: true,
        skip_empty_lines: true,
        relax_column_count: true,
        skip_records_with_error: true,
        on_skip: () => {
          skipped++
          return undefined
        },
      }) as string[][]
    } catch {
      return undefined
    }
    if (!this.header) {
      const first = records.shift()
      if (!first) return {rows: [], skipped}
      this.header = first.map((name) => name.trim())
    }
    const header = this.header
    const rows = records.map((cells) => {
      const row: Record<string, string> = {}
      for (let i = 0; i < header.length && i < cells.length; i++) row[header[i]] = cells[i]
      return row
    })
    return {rows, skipped}
  }

  private forget(): boolean {
    const hadData = this.offset > 0
    this.offset = 0
    this.header = undefined
    this.identity = undefined
    return hadData
  }
}
