/**
 * Rows as one `COPY … FROM STDIN` (pg-copy-streams): how insert mode loads a flush when no row is refused. Binary
 * format when every column's type has an exact binary form here and every value has it (a price goes as its 8 bytes,
 * a canonical UTC time as its microseconds: nothing is turned into text and parsed back); text format otherwise,
 * parsed by the same input functions as the INSERT's casts. A value the server cannot read fails the whole COPY with a
 * data error, as it fails the INSERT; the writer then narrows it down with the INSERT under savepoints.
 */
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import type pg from 'pg'
import {from as copyFrom} from 'pg-copy-streams'
import {cellText, type Cell, type Column, type ColumnType} from './column-types.js'
import type {BufferedRow} from './row-buffer.js'

/** Rows per chunk of the stream: big enough to cost little per row, small enough not to hold a flush twice. */
const ROWS_PER_CHUNK = 1000

/** `sql` is `COPY … FROM STDIN` of `columns` (sql-text.ts copyRowsSql); the format is chosen here. */
export async function copyRows(
  client: pg.ClientBase,
  sql: string,
  columns: readonly Column[],
  rows: readonly BufferedRow[],
): Promise<void> {
  const binary = binaryEncodable(columns, rows)
  const stream = client.query(copyFrom(binary ? `${sql} (FORMAT binary)` : sql))
  await pipeline(Readable.from(binary ? binaryChunks(columns, rows) : textChunks(rows)), stream)
}

// Text format: tab-separated, `\N` for NULL, backslash, tab, newline and CR escaped.

function* textChunks(rows: readonly BufferedRow[]): Generator<string> {
  for (let start = 0; start < rows.length; start += ROWS_PER_CHUNK) {
    let text = ''
    const end = Math.min(rows.length, start + ROWS_PER_CHUNK)
    for (let index = start; index < end; index++) text += copyLine(rows[index].values)
    yield text
  }
}

/** One row of COPY text format. */
export function copyLine(values: readonly Cell[]): string {
  let line = ''
  for (let index = 0; index < values.length; index++) {
    const value = cellText(values[index])
    if (index > 0) line += '\t'
    line += value === null ? '\\N' : NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, escapeOne) : value
  }
  return line + '\n'
}

const NEEDS_ESCAPE = /[\\\t\n\r]/
const ESCAPED = /[\\\t\n\r]/g
const ESCAPES: Readonly<Record<string, string>> = {'\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r'}

function escapeOne(char: string): string {
  return ESCAPES[char]
}

// Binary format (PostgreSQL docs, "COPY", Binary Format): a header, per row a field count and per field its length
// (-1 for NULL) and bytes in the type's send format, then a -1 trailer.

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')
/** Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01T00:00:00Z. */
const PG_EPOCH_US = 946_684_800_000_000
/** A time exactly as etl writes them (toISOString): UTC, at most milliseconds. Anything else goes as text. */
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/

const BINARY_TYPES: ReadonlySet<ColumnType> = new Set([
  'text',
  'double precision',
  'integer',
  'bigint',
  'boolean',
  'timestamptz',
  'jsonb',
])

/** Whether every column and every value has a binary form here (else the flush goes as text). */
export function binaryEncodable(columns: readonly Column[], rows: readonly BufferedRow[]): boolean {
  for (const [index, {type}] of columns.entries()) {
    if (!BINARY_TYPES.has(type)) return false
    const check = type === 'timestamptz' ? isBinaryTime : type === 'double precision' ? isDouble : undefined
    if (check && !rows.every(({values}) => check(values[index]))) return false
  }
  return true
}

/** coerceCell already made sure Date.parse reads it; binary needs it UTC and to the millisecond. */
function isBinaryTime(cell: Cell): boolean {
  return cell === null || (typeof cell === 'string' && CANONICAL_UTC.test(cell))
}

/** coerceCell left text only where PostgreSQL is to refuse it. */
function isDouble(cell: Cell): boolean {
  return cell === null || typeof cell === 'number'
}

function* binaryChunks(columns: readonly Column[], rows: readonly BufferedRow[]): Generator<Buffer> {
  const out = new BinaryOut()
  out.bytes(SIGNATURE)
  out.int32(0) // flags: no OIDs
  out.int32(0) // header extension length
  for (let start = 0; start < rows.length; start += ROWS_PER_CHUNK) {
    const end = Math.min(rows.length, start + ROWS_PER_CHUNK)
    for (let index = start; index < end; index++) encodeRow(out, columns, rows[index].values)
    yield out.take()
  }
  out.int16(-1)
  yield out.take()
}

function encodeRow(out: BinaryOut, columns: readonly Column[], values: readonly Cell[]): void {
  out.int16(columns.length)
  for (let index = 0; index < columns.length; index++) {
    const value = values[index]
    if (value === null) out.int32(-1)
    else encodeValue(out, columns[index].type, value)
  }
}

/** One non-null value with its length, in the send format of `type` (a value coerceCell made for that type). */
function encodeValue(out: BinaryOut, type: ColumnType, value: string | number): void {
  switch (type) {
    case 'double precision':
      out.int32(8)
      return out.float64(value as number)
    case 'integer':
      out.int32(4)
      return out.int32(Number(value))
    case 'bigint':
      out.int32(8)
      return out.bigInt64(BigInt(value))
    case 'boolean':
      out.int32(1)
      return out.byte(value === 'true' ? 1 : 0)
    case 'timestamptz':
      out.int32(8)
      return out.int64(Date.parse(value as string) * 1000 - PG_EPOCH_US)
    case 'jsonb':
      return out.text(String(value), 1) // jsonb's send format: version 1, then the JSON text
    default:
      return out.text(String(value))
  }
}

/** A growing buffer written front to back; take() hands over what was written and starts again. */
class BinaryOut {
  private buffer = Buffer.allocUnsafe(64 * 1024)
  private at = 0

  take(): Buffer {
    const written = Buffer.from(this.buffer.subarray(0, this.at))
    this.at = 0
    return written
  }

  bytes(bytes: Buffer): void {
    this.room(bytes.length)
    this.at += bytes.copy(this.buffer, this.at)
  }

  byte(value: number): void {
    this.room(1)
    this.at = this.buffer.writeUInt8(value, this.at)
  }

  int16(value: number): void {
    this.room(2)
    this.at = this.buffer.writeInt16BE(value, this.at)
  }

  int32(value: number): void {
    this.room(4)
    this.at = this.buffer.writeInt32BE(value, this.at)
  }

  /** An integer of up to 53 bits as a signed 64-bit one (two's complement through the high and low words). */
  int64(value: number): void {
    this.room(8)
    const high = Math.floor(value / 2 ** 32)
    this.at = this.buffer.writeInt32BE(high, this.at)
    this.at = this.buffer.writeUInt32BE(value - high * 2 ** 32, this.at)
  }

  bigInt64(value: bigint): void {
    this.room(8)
    this.at = this.buffer.writeBigInt64BE(value, this.at)
  }

  float64(value: number): void {
    this.room(8)
    this.at = this.buffer.writeDoubleBE(value, this.at)
  }

  /** UTF-8 text with its length in front; `version`: a leading version byte (jsonb). */
  text(value: string, version?: number): void {
    const length = Buffer.byteLength(value) + (version === undefined ? 0 : 1)
    this.int32(length)
    if (version !== undefined) this.byte(version)
    this.room(length)
    this.at += this.buffer.write(value, this.at)
  }

  private room(size: number): void {
    if (this.at + size <= this.buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + size))
    this.buffer.copy(grown, 0, 0, this.at)
    this.buffer = grown
  }
}
