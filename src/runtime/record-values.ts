/**
 * Reading typed values out of records for the computing transforms: records arrive from JSON (numbers) or CSV
 * (strings), and a value that is missing, NaN or Infinity must be caught and rejected, never folded into a sum.
 */
import type {EtlRecord} from './plugin-types.js'

/** The field as a finite number (numeric strings accepted), else undefined. */
export function finiteNumber(record: EtlRecord, field: string): number | undefined {
  const raw = record[field]
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined
  if (typeof raw === 'string' && raw.trim() !== '') {
    const value = Number(raw)
    return Number.isFinite(value) ? value : undefined
  }
  return undefined
}

/** Event time in epoch milliseconds: an ISO 8601 string or a number of epoch milliseconds; else undefined. */
export function eventTime(record: EtlRecord, field: string): number | undefined {
  const raw = record[field]
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined
  if (typeof raw === 'string' && raw !== '') {
    const ms = canonicalIsoTime(raw) ?? (isDecimal(raw) ? Number(raw) : Date.parse(raw))
    return Number.isFinite(ms) ? ms : undefined
  }
  return undefined
}

const DECIMAL = /^-?\d+(\.\d+)?$/

/** "1700000000000" or "-5.5" (read as epoch ms rather than by Date.parse); only text ending in a digit can be one. */
function isDecimal(text: string): boolean {
  const last = text.charCodeAt(text.length - 1)
  return last >= 48 && last <= 57 && DECIMAL.test(text)
}

/** The day of the last canonical time read ("2011-08-18T") and Date.parse of its midnight (NaN for "2011-13-01T"). */
let cachedDayPrefix = ''
let cachedDayMs = Number.NaN

/**
 * Date.parse of toISOString's own form, "YYYY-MM-DDTHH:MM:SS.sssZ" (JSON records carry event times in it), without
 * Date.parse: consecutive records almost always fall on the same UTC day, so the day is parsed once (by Date.parse,
 * so an odd day such as 02-30 is read exactly as before) and only the time of day is added. Undefined for any other
 * text, and for hours past 23 or minutes or seconds past 59, which are left to Date.parse.
 */
function canonicalIsoTime(text: string): number | undefined {
  if (text.length !== 24 || text.charCodeAt(10) !== 84 /* T */ || text.charCodeAt(23) !== 90 /* Z */) return undefined
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58 || text.charCodeAt(19) !== 46 /* : : . */)
    return undefined
  const timeOfDay = timeOfDayMs(text)
  if (timeOfDay === undefined) return undefined
  if (cachedDayPrefix === '' || !text.startsWith(cachedDayPrefix)) {
    if (!isDayText(text)) return undefined
    cachedDayPrefix = text.slice(0, 11)
    cachedDayMs = Date.parse(`${cachedDayPrefix}00:00:00.000Z`)
  }
  return cachedDayMs + timeOfDay
}

/** "HH:MM:SS.sss" at offset 11 in milliseconds; undefined for a non-digit, hours past 23 or minutes/seconds past 59. */
function timeOfDayMs(text: string): number | undefined {
  const hours = digits(text, 11, 2)
  const minutes = digits(text, 14, 2)
  const seconds = digits(text, 17, 2)
  const millis = digits(text, 20, 3)
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59 || millis < 0)
    return undefined
  return hours * 3_600_000 + minutes * 60_000 + seconds * 1000 + millis
}

/** Whether the text starts with digits and dashes in the form "YYYY-MM-DD". */
function isDayText(text: string): boolean {
  return (
    digits(text, 0, 4) >= 0 &&
    text.charCodeAt(4) === 45 &&
    digits(text, 5, 2) >= 0 &&
    text.charCodeAt(7) === 45 &&
    digits(text, 8, 2) >= 0
  )
}

/** The decimal number in text[at, at + count), or -1 if a character there is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return value
}

/** A stable key for grouping by several fields ("BTC\u0000usd"); missing fields count as empty. */
export function groupKey(record: EtlRecord, fields: readonly string[]): string {
  if (fields.length === 1) return String(record[fields[0]] ?? '')
  return fields.map((field) => String(record[field] ?? '')).join('\u0000')
}

/**
 * Kahan–Babuška (Neumaier) compensated sum: adding and removing millions of prices keeps the error at a few ulps
 * instead of drifting, so a running sum over a long run equals a fresh sum of the same values.
 */
export class CompensatedSum {
  private sum = 0
  private compensation = 0

  add(value: number): void {
    const total = this.sum + value
    if (Math.abs(this.sum) >= Math.abs(value)) this.compensation += this.sum - total + value
    else this.compensation += value - total + this.sum
    this.sum = total
  }

  subtract(value: number): void {
    this.add(-value)
  }

  get value(): number {
    return this.sum + this.compensation
  }

  reset(): void {
    this.sum = 0
    this.compensation = 0
  }

  /** Both halves of the state: a checkpoint that kept only `value` would continue with a slightly different sum. */
  get parts(): [sum: number, compensation: number] {
    return [this.sum, this.compensation]
  }

  /** The inverse of `parts`, for restoring a checkpoint exactly. */
  static fromParts([sum, compensation]: readonly [number, number]): CompensatedSum {
    const restored = new CompensatedSum()
    restored.sum = sum
    restored.compensation = compensation
    return restored
  }
}
