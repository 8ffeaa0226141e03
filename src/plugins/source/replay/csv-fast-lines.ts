/**
 * The quote-free fast path of CSV reading: splits file chunks into rows the way csv-parse does (with the options of
 * csv-rows.ts: bom, skip_empty_lines, relax_column_count, columns from the trimmed header, info.lines), but without
 * its byte-by-byte state machine. It only handles what it can read exactly like csv-parse: lines with no double quote,
 * ended consistently by the line break csv-parse would detect (\n, or \r\n), in UTF-8. At the first line that is
 * anything else it stops and describes a hand-off, so csv-parse reads the rest of the file and every subtle case
 * (quoting, stray \r, old Mac line breaks, UTF-16) keeps csv-parse's exact behaviour.
 */
import type {CsvRow} from './csv-rows.js'

const LF = 10
const EMPTY = Buffer.alloc(0)
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf])
const UTF16LE_BOM = Buffer.from([0xff, 0xfe])
/** Size of the pieces the skipped-line prefix is handed over in, so a late hand-off never builds one huge buffer. */
const PREFIX_PIECE_LINES = 16_384

/** What csv-parse must read to continue exactly where the fast path stopped. */
export interface CsvHandoff {
  /**
   * Bytes to feed before the rest of the file: the untouched file start (BOM included) when no line was consumed,
   * otherwise one empty line per consumed line, so csv-parse counts lines (in rows and in its messages) as if it had
   * read the file from its start, followed by the unread bytes from the first line not consumed.
   */
  head: Iterable<Buffer>
  /** The header (trimmed) when it was already read; undefined when csv-parse must take it from the first record. */
  columns: string[] | undefined
}

type LineBreak = 'lf' | 'crlf'

export class CsvFastLines {
  /** Set once the fast path has stopped; the caller must hand this and the rest of the file to csv-parse. */
  handoff: CsvHandoff | undefined
  /**
   * Bytes after the last line break seen: the start of a line that continues in a later chunk. Kept as pieces and
   * joined once the line ends, so a very long line costs one copy, not one per chunk.
   */
  private pending: Buffer[] = []
  /** The BOM is decided on the first 3 bytes, as csv-parse does. */
  private started = false
  private bom: Buffer = EMPTY
  private lineBreak: LineBreak | undefined
  private header: string[] | undefined
  /** An object with the header's keys, in csv-parse's order, for rows to copy. */
  private template: CsvRow['values'] = {}
  /** Line breaks consumed so far; the line being read is number linesDone + 1. */
  private linesDone = 0
  private rows: CsvRow[] = []

  /** Reads the complete lines this chunk finishes; returns their rows (possibly none). */
  push(chunk: Buffer): CsvRow[] {
    this.rows = []
    if (this.handoff) throw new Error('CsvFastLines: push after hand-off')
    let data = chunk
    if (!this.started) {
      data = this.takePending(chunk)
      if (data.length < 3) {
        this.pending.push(data)
        return this.rows
      }
      data = this.decideBom(data)
      if (this.handoff) return this.rows
    }
    const firstBreak = data.indexOf(LF)
    if (firstBreak === -1) {
      this.pending.push(data)
      return this.rows
    }
    let start = 0
    if (this.pending.length > 0) {
      // Only the line that straddles the chunks is copied; the rest is decoded straight from the chunk.
      const straddling = this.takePending(data.subarray(0, firstBreak + 1))
      const bad = this.take(straddling, false)
      if (bad !== -1) return this.handOff([straddling.subarray(bad), data.subarray(firstBreak + 1)])
      start = firstBreak + 1
    }
    const lastBreak = data.lastIndexOf(LF)
    if (lastBreak >= start) {
      const region = data.subarray(start, lastBreak + 1)
      const bad = this.take(region, false)
      if (bad !== -1) return this.handOff([region.subarray(bad), data.subarray(lastBreak + 1)])
    }
    if (lastBreak + 1 < data.length) this.pending.push(data.subarray(lastBreak + 1))
    return this.rows
  }

  /** Reads what is left at the end of the file (a last line without a line break). */
  end(): CsvRow[] {
    this.rows = []
    if (this.handoff) throw new Error('CsvFastLines: end after hand-off')
    // A file under 3 bytes never had its BOM looked for; csv-parse reads such a file as it is, too.
    this.started = true
    const data = this.takePending(EMPTY)
    if (data.length === 0) return this.rows
    const bad = this.take(data, true)
    return bad === -1 ? this.rows : this.handOff([data.subarray(bad)])
  }

  /** The pending bytes followed by next, as one buffer; nothing is pending afterwards. */
  private takePending(next: Buffer): Buffer {
    const joined = this.pending.length === 0 ? next : Buffer.concat([...this.pending, next])
    this.pending = []
    return joined
  }

  private decideBom(data: Buffer): Buffer {
    this.started = true
    if (data.subarray(0, 3).equals(UTF8_BOM)) {
      this.bom = data.subarray(0, 3)
      return data.subarray(3)
    }
    // csv-parse switches to UTF-16 on this BOM: leave the whole file to it.
    if (data.subarray(0, 2).equals(UTF16LE_BOM)) this.handOff([data])
    return data
  }

  /**
   * Reads the lines of region (whole lines, except at the end of the file) into this.rows. Returns -1, or the byte
   * offset in region of the first line the fast path cannot read exactly like csv-parse (nothing from it on is read).
   */
  private take(region: Buffer, atEnd: boolean): number {
    const text = region.toString('utf8')
    if (this.lineBreak === undefined && !this.detectLineBreak(text, atEnd)) return 0
    const crlf = this.lineBreak === 'crlf'
    // Quotes (and, with \n line breaks, any \r) are csv-parse's business: stop at the line holding the first one.
    let stopAt = text.length
    let bad = text.indexOf('"')
    if (!crlf) {
      const cr = text.indexOf('\r')
      if (cr !== -1 && (bad === -1 || cr < bad)) bad = cr
    }
    if (bad !== -1) stopAt = text.lastIndexOf('\n', bad) + 1
    let pos = 0
    let breaks = 0
    while (pos < stopAt) {
      const lineBreak = text.indexOf('\n', pos)
      let lineEnd: number
      if (lineBreak === -1) {
        if (!atEnd) throw new Error('CsvFastLines: region without a final line break')
        // The last line of the file, without a line break.
        if (crlf && text.indexOf('\r', pos) !== -1) return this.byteOffset(region, breaks)
        lineEnd = text.length
      } else if (crlf) {
        // Every \n must close a \r\n and every \r open one; anything else means a stray break csv-parse reads as text.
        if (lineBreak === pos || text.charCodeAt(lineBreak - 1) !== 13 || text.indexOf('\r', pos) !== lineBreak - 1) {
          return this.byteOffset(region, breaks)
        }
        lineEnd = lineBreak - 1
      } else {
        lineEnd = lineBreak
      }
      // skip_empty_lines: only a line with no character at all is skipped (spaces or a lone comma make a row).
      if (lineEnd > pos) this.addLine(text, pos, lineEnd, this.linesDone + 1)
      if (lineBreak === -1) break
      this.linesDone++
      breaks++
      pos = lineBreak + 1
    }
    return stopAt < text.length ? this.byteOffset(region, breaks) : -1
  }

  /** csv-parse takes the first \r\n, \n or \r of the file as the record delimiter; only the first two are read here. */
  private detectLineBreak(text: string, atEnd: boolean): boolean {
    const lf = text.indexOf('\n')
    const cr = text.indexOf('\r')
    if (cr !== -1 && (lf === -1 || cr < lf)) {
      if (cr + 1 === lf) this.lineBreak = 'crlf'
      return this.lineBreak !== undefined
    }
    if (lf !== -1) this.lineBreak = 'lf'
    // A file of one line without any line break has nothing to detect.
    return this.lineBreak !== undefined || atEnd
  }

  /** Reads text[start, end) (one line, without its line break) as the header or as a row. */
  private addLine(text: string, start: number, end: number, lineNumber: number): void {
    const header = this.header
    if (header === undefined) {
      this.header = text
        .slice(start, end)
        .split(',')
        .map((name) => name.trim())
      this.template = {}
      for (const name of this.header) this.template[name] = ''
      return
    }
    // A row with a cell for every column: copying a template with the header's keys already in place and filling it
    // is about twice as fast as adding keys one by one, and gives the same object (same keys, same order).
    const values = {...this.template}
    let cellStart = start
    for (let column = 0; column < header.length; column++) {
      const comma = text.indexOf(',', cellStart)
      if (comma !== -1 && comma < end) {
        values[header[column]] = text.slice(cellStart, comma)
        cellStart = comma + 1
      } else if (column === header.length - 1) {
        values[header[column]] = text.slice(cellStart, end)
      } else {
        this.rows.push({values: this.shortRow(text.slice(start, end).split(',')), line: lineNumber})
        return
      }
    }
    this.rows.push({values, line: lineNumber})
  }

  /** A row with fewer cells than columns, built like csv-parse builds it: the missing cells leave their key out. */
  private shortRow(cells: string[]): CsvRow['values'] {
    const values: CsvRow['values'] = {}
    for (let i = 0; i < cells.length; i++) values[this.header![i]] = cells[i]
    return values
  }

  /** Where the line after `lines` line breaks starts in region: a \n is one byte and one character, so count them. */
  private byteOffset(region: Buffer, lines: number): number {
    let offset = 0
    for (let i = 0; i < lines; i++) offset = region.indexOf(LF, offset) + 1
    return offset
  }

  private handOff(rest: Buffer[]): CsvRow[] {
    const consumed = this.linesDone
    const lineBreak = Buffer.from(this.lineBreak === 'crlf' ? '\r\n' : '\n')
    const head = function* (bom: Buffer) {
      if (consumed === 0 && bom.length > 0) yield bom
      for (let left = consumed; left > 0; left -= PREFIX_PIECE_LINES) {
        yield Buffer.concat(Array<Buffer>(Math.min(left, PREFIX_PIECE_LINES)).fill(lineBreak))
      }
      for (const piece of rest) if (piece.length > 0) yield piece
    }
    this.handoff = {head: head(this.bom), columns: this.header}
    return this.rows
  }
}
