/**
 * The column types a parquet sink writes and how a record's value becomes one. Values are converted when a record is
 * written (before it reaches the spool), so a record that does not fit its column is dead-lettered at once with the
 * reason, instead of failing the Parquet file it would have gone into much later. The spool keeps converted values
 * in a JSON-safe form: int64 as a decimal string, timestamps as an integer number of their unit.
 */
import {looksLikeTimestamp, toEpoch, type TimestampUnit} from './timestamp-value.js'

export const COLUMN_TYPES = ['string', 'double', 'int64', 'boolean', 'timestamp'] as const
export type ColumnType = (typeof COLUMN_TYPES)[number]

export interface Column {
  name: string
  type: ColumnType
  /** Timestamps only. */
  unit?: TimestampUnit
}

/** A value as the spool holds it. */
export type SpoolValue = string | number | boolean | null

/** Why a value cannot be stored in its column. */
export class Unconvertible {
  constructor(readonly reason: string) {}
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function toDouble(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'bigint') return Number(value)
  if (typeof value !== 'string' || value.trim() === '') return undefined
  const number = Number(value)
  return Number.isFinite(number) ? number : undefined
}

function toInt64(value: unknown): string | undefined {
  let big: bigint
  if (typeof value === 'bigint') big = value
  else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value)
  else if (typeof value === 'string' && /^-?\d{1,19}$/.test(value.trim())) big = BigInt(value.trim())
  else return undefined
  return big >= INT64_MIN && big <= INT64_MAX ? big.toString() : undefined
}

function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value
  if (value === 'true' || value === 'false') return value === 'true'
  return undefined
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** The value in its column's spool form; null for a missing value; Unconvertible when it does not fit. */
export function toSpoolValue(column: Column, value: unknown): SpoolValue | Unconvertible {
  if (value === null || value === undefined) return null
  let converted: SpoolValue | undefined
  switch (column.type) {
    case 'string':
      return toText(value)
    case 'double':
      converted = toDouble(value)
      break
    case 'int64':
      converted = toInt64(value)
      break
    case 'boolean':
      converted = toBoolean(value)
      break
    case 'timestamp':
      converted = toEpoch(value, column.unit ?? 'millis')
  }
  if (converted !== undefined) return converted
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : toText(value).slice(0, 60)
  return new Unconvertible(`field "${column.name}": ${shown} is not a ${column.type}`)
}

/**
 * The type a column gets when columns are not configured, from the first value seen: numbers are doubles (a price
 * that happens to be whole must not make the column integer), ISO date-time strings timestamps.
 */
export function inferColumnType(value: unknown): ColumnType {
  if (typeof value === 'number') return 'double'
  if (typeof value === 'bigint') return 'int64'
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'string' && looksLikeTimestamp(value)) return 'timestamp'
  return 'string'
}
