/**
 * The column types the postgres sink writes, and how a record's value becomes the text PostgreSQL parses for each.
 * Values are checked here, in JS, before they reach the database: a NaN price or a word in a timestamp column is
 * rejected with a reason of our own (and dead-lettered), instead of failing a whole statement. Values travel as text
 * and are cast in SQL, so a value written is exactly the value PostgreSQL would read from psql.
 */

/** The types a column may have in the sink's config, by their canonical name. */
export const COLUMN_TYPES = [
  'text',
  'integer',
  'bigint',
  'double precision',
  'real',
  'numeric',
  'boolean',
  'timestamptz',
  'timestamp',
  'date',
  'jsonb',
] as const
export type ColumnType = (typeof COLUMN_TYPES)[number]

/** Other spellings users write, accepted in the config. */
export const TYPE_ALIASES: Readonly<Record<string, ColumnType>> = {
  int: 'integer',
  int4: 'integer',
  int8: 'bigint',
  float8: 'double precision',
  double: 'double precision',
  float4: 'real',
  bool: 'boolean',
  'timestamp with time zone': 'timestamptz',
  'timestamp without time zone': 'timestamp',
}

/** information_schema.columns.data_type of each type (what an existing table must have). */
const DATA_TYPES: Readonly<Record<ColumnType, readonly string[]>> = {
  text: ['text', 'character varying'],
  integer: ['integer'],
  bigint: ['bigint'],
  'double precision': ['double precision'],
  real: ['real'],
  numeric: ['numeric'],
  boolean: ['boolean'],
  timestamptz: ['timestamp with time zone'],
  timestamp: ['timestamp without time zone'],
  date: ['date'],
  jsonb: ['jsonb'],
}

export interface Column {
  name: string
  type: ColumnType
}

/** The canonical type for a configured name, or undefined when the sink does not support it. */
export function columnType(name: string): ColumnType | undefined {
  const lower = name.trim().toLowerCase()
  return (COLUMN_TYPES as readonly string[]).includes(lower) ? (lower as ColumnType) : TYPE_ALIASES[lower]
}

/** The sink's type for a column of an existing table (information_schema data_type), or undefined. */
export function typeOfDataType(dataType: string): ColumnType | undefined {
  return COLUMN_TYPES.find((type) => DATA_TYPES[type].includes(dataType))
}

/** Whether an existing column of `dataType` holds what the config calls `type` without a silent conversion. */
export function matchesDataType(type: ColumnType, dataType: string): boolean {
  return DATA_TYPES[type].includes(dataType)
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/

/** The type a column gets from the first record's value when no columns are configured. */
export function inferType(value: unknown): ColumnType {
  if (typeof value === 'number') return 'double precision'
  if (typeof value === 'bigint') return 'bigint'
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'string')
    return ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value)) ? 'timestamptz' : 'text'
  if (value !== null && typeof value === 'object') return 'jsonb'
  return 'text'
}

/** A value that cannot go into its column: why, for the dead letter. */
export class ValueError extends Error {}

const DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/
const INTEGER_TEXT = /^[+-]?\d+$/
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const RANGES: Partial<Record<ColumnType, [bigint, bigint]>> = {
  integer: [-(2n ** 31n), 2n ** 31n - 1n],
  bigint: [-(2n ** 63n), 2n ** 63n - 1n],
}

/**
 * A value ready for its column: the text PostgreSQL parses, or, for a JS number in a `double precision` column, the
 * number itself (binary COPY sends it as it is; turning every price into text costs more than the rest of the row).
 */
export type Cell = string | number | null

/**
 * coerceValue, except that a `double precision` value is a number where it is one exactly as PostgreSQL would read
 * its text (both round correctly to the nearest double). Text that is out of range (`1e400`, or `1e-400`, which reads
 * as 0) stays text, for PostgreSQL to refuse with its own message.
 */
export function coerceCell(value: unknown, type: ColumnType): Cell {
  if (type !== 'double precision') return coerceValue(value, type)
  if (typeof value === 'number' && Number.isFinite(value)) return value
  const text = coerceValue(value, type)
  if (text === null) return null
  const number = Number(text)
  const underflow = number === 0 && NONZERO_MANTISSA.test(text)
  return Number.isFinite(number) && !underflow ? number : text
}

/** A nonzero digit before any exponent: text that does not mean 0. */
const NONZERO_MANTISSA = /^[^eE]*[1-9]/

/** The text of a cell, as PostgreSQL parses it. */
export function cellText(cell: Cell): string | null {
  return typeof cell === 'number' ? String(cell) : cell
}

/** The text PostgreSQL parses for `value` in a column of `type`; null for SQL NULL; throws ValueError. */
export function coerceValue(value: unknown, type: ColumnType): string | null {
  if (value === null || value === undefined) return null
  switch (type) {
    case 'text':
      return textOf(value)
    case 'integer':
    case 'bigint':
      return integerOf(value, type)
    case 'double precision':
    case 'real':
    case 'numeric':
      return numberOf(value)
    case 'boolean':
      return booleanOf(value)
    case 'timestamptz':
    case 'timestamp':
      return timeText(value)
    case 'date':
      return typeof value === 'string' && DATE_TEXT.test(value) ? value : timeText(value).slice(0, 10)
    case 'jsonb':
      return JSON.stringify(value)
  }
}

function textOf(value: unknown): string {
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value)
  // PostgreSQL text cannot hold NUL; the database would fail the whole statement on it.
  if (text.includes('\u0000')) throw new ValueError('text contains a NUL character, which PostgreSQL cannot store')
  return text
}

function integerOf(value: unknown, type: 'integer' | 'bigint'): string {
  let whole: bigint
  if (typeof value === 'bigint') whole = value
  else if (typeof value === 'number' && Number.isSafeInteger(value)) whole = BigInt(value)
  else if (typeof value === 'string' && INTEGER_TEXT.test(value.trim())) whole = BigInt(value.trim())
  else throw new ValueError(`${describe(value)} is not a whole number (column type ${type})`)
  const [min, max] = RANGES[type]!
  if (whole < min || whole > max) throw new ValueError(`${whole} is out of range for ${type}`)
  return whole.toString()
}

function numberOf(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'string' && NUMBER_TEXT.test(value.trim())) return value.trim()
  throw new ValueError(`${describe(value)} is not a finite number`)
}

function booleanOf(value: unknown): string {
  if (typeof value === 'boolean') return String(value)
  if (value === 'true' || value === 'false') return value
  if (value === 0 || value === 1) return value === 1 ? 'true' : 'false'
  throw new ValueError(`${describe(value)} is not a boolean`)
}

/**
 * ISO 8601 text (passed on as written, so microseconds and offsets survive), or epoch milliseconds (the unit of
 * Date.now and of the records' own event times), or a Date.
 */
function timeText(value: unknown): string {
  if (typeof value === 'string') {
    const text = value.trim()
    if (ISO_TIMESTAMP.test(text) && !Number.isNaN(Date.parse(text))) return text
    throw new ValueError(`${describe(value)} is not an ISO 8601 time`)
  }
  return timeOf(value).toISOString()
}

function timeOf(value: unknown): Date {
  const date =
    value instanceof Date ? value : typeof value === 'number' && Number.isFinite(value) ? new Date(value) : undefined
  if (!date || Number.isNaN(date.getTime())) throw new ValueError(`${describe(value)} is not a time`)
  return date
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
