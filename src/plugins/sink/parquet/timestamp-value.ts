/**
 * Event times arrive as ISO 8601 strings (what the sources emit) or as epoch milliseconds; Parquet stores them as
 * integer milliseconds or microseconds since the epoch, UTC. Microseconds are kept from an ISO string's fraction
 * (Date.parse stops at milliseconds), so a `micros` column does not silently round the input.
 */

export type TimestampUnit = 'millis' | 'micros'

/** An ISO 8601 date-time with an explicit zone (Z or ±hh:mm), as new Date().toISOString() writes. */
const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/

/** A string that looks like a date-time at all: what column type inference takes for a timestamp. */
export function looksLikeTimestamp(text: string): boolean {
  return ISO_DATE_TIME.test(text)
}

/** Microseconds since the epoch for an ISO date-time string, or undefined when it is none (or no real date). */
function isoMicros(text: string): number | undefined {
  const match = ISO_DATE_TIME.exec(text)
  if (!match) return undefined
  const [, date, time, fraction = '', zone] = match
  const seconds = Date.parse(`${date}T${time}${zone === 'Z' ? 'Z' : zone}`)
  if (Number.isNaN(seconds)) return undefined
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6))
  return seconds * 1000 + micros
}

/**
 * The value as an integer count of `unit` since the epoch, or undefined when it is not a time: a finite number is
 * epoch milliseconds, a string an ISO date-time (a string of digits counts as epoch milliseconds too), a Date itself.
 */
export function toEpoch(value: unknown, unit: TimestampUnit): number | undefined {
  let micros: number | undefined
  if (typeof value === 'number') micros = Number.isFinite(value) ? Math.round(value * 1000) : undefined
  else if (value instanceof Date) micros = Number.isNaN(value.getTime()) ? undefined : value.getTime() * 1000
  else if (typeof value === 'string')
    micros = /^-?\d{1,16}$/.test(value) ? Number(value) * 1000 : isoMicros(value.trim())
  if (micros === undefined || !Number.isSafeInteger(micros)) return undefined
  return unit === 'micros' ? micros : Math.floor(micros / 1000)
}
