/**
 * `new Date(ms).toISOString()` for event times and window bounds, without a Date per call: every candle carries two
 * bounds and the replay source formats one timestamp per record, so this is a hot path (see docs/BENCHMARKS.md).
 * Consecutive times almost always fall on the same UTC day, so the day's "YYYY-MM-DDT" is cached and only the time of
 * day is built, from tables of padded digits. Gives exactly toISOString's text; outside years 0000–9999 (where
 * toISOString writes ±YYYYYY) and for non-integer or non-finite input it is toISOString (which throws a RangeError
 * for NaN, as before).
 */
const DAY_MS = 86_400_000
/** 0000-01-01T00:00:00.000Z and 10000-01-01T00:00:00.000Z (exclusive). */
const FIRST_MS = -62_167_219_200_000
const END_MS = 253_402_300_800_000

const pad = (width: number) => Array.from({length: 10 ** width}, (_, i) => String(i).padStart(width, '0'))
const TWO_DIGITS = pad(2)
const THREE_DIGITS = pad(3)

let cachedDay = Number.NaN
let cachedDayPrefix = ''

export function isoTime(ms: number): string {
  if (!(ms >= FIRST_MS && ms < END_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString()
  const day = Math.floor(ms / DAY_MS)
  if (day !== cachedDay) {
    cachedDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11)
    cachedDay = day
  }
  const inDay = ms - day * DAY_MS
  const seconds = Math.floor(inDay / 1000)
  return (
    cachedDayPrefix +
    TWO_DIGITS[Math.floor(seconds / 3600)] +
    ':' +
    TWO_DIGITS[Math.floor(seconds / 60) % 60] +
    ':' +
    TWO_DIGITS[seconds % 60] +
    '.' +
    THREE_DIGITS[inDay - seconds * 1000] +
    'Z'
  )
}
