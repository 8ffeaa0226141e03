/**
 * Hive-style partition folders (`date=2026-12-01/symbol=BTC`) from a record's fields, so query engines (DuckDB,
 * Spark, Trino) prune by folder name. A value is one path segment whatever it holds: characters outside a safe set
 * are percent-encoded the way Hive does (`/` → `%2F`), and a value made only of dots is encoded too, so no record can
 * name a folder outside the lake. A missing value goes to Hive's `__HIVE_DEFAULT_PARTITION__`.
 */
import {toEpoch} from './timestamp-value.js'

export const TIME_FORMATS = ['year', 'month', 'day', 'hour'] as const
export type TimeFormat = (typeof TIME_FORMATS)[number]

/** One partition level: the record field it comes from, its folder key, and a time granularity for time fields. */
export interface PartitionLevel {
  field: string
  as: string
  format?: TimeFormat
}

export const DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__'

/** Characters left as they are in a folder name; everything else is %XX-encoded (UTF-8 bytes). */
const SAFE = /^[A-Za-z0-9_.\-+ ]*$/

/** The value as one safe path segment. */
export function escapeSegment(value: string): string {
  if (value === '') return DEFAULT_PARTITION
  let out = SAFE.test(value) ? value : ''
  if (!out)
    for (const char of value)
      out += /[A-Za-z0-9_.\-+ ]/.test(char)
        ? char
        : [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')
  // "." and ".." name this folder and its parent; a leading dot would hide the folder from some readers.
  return out.startsWith('.') ? `%2E${out.slice(1)}` : out
}

/** The UTC date (or part of one) of a time value, or undefined when it is no time. */
function formatTime(value: unknown, format: TimeFormat): string | undefined {
  const ms = toEpoch(value, 'millis')
  if (ms === undefined) return undefined
  const iso = new Date(ms).toISOString()
  if (format === 'year') return iso.slice(0, 4)
  if (format === 'month') return iso.slice(0, 7)
  if (format === 'day') return iso.slice(0, 10)
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}`
}

function plainText(value: unknown): string {
  if (value === null || value === undefined) return ''
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

/**
 * The record's partition folder, relative to the lake root ('' without levels), or an error message when a time
 * level's field holds no time.
 */
export function partitionPath(record: Record<string, unknown>, levels: readonly PartitionLevel[]): string | Error {
  const segments: string[] = []
  for (const level of levels) {
    const value = record[level.field]
    let text: string
    if (level.format === undefined) text = plainText(value)
    else if (value === null || value === undefined) text = ''
    else {
      const formatted = formatTime(value, level.format)
      if (formatted === undefined)
        return new Error(`field "${level.field}" (partition ${level.as}): ${plainText(value).slice(0, 60)} is no time`)
      text = formatted
    }
    segments.push(`${escapeSegment(level.as)}=${escapeSegment(text)}`)
  }
  return segments.join('/')
}
