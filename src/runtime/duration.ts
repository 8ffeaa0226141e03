/**
 * Durations in pipeline files: a string with a unit ('500ms', '10s', '1.5m', '1h', '1d') or a plain number of
 * seconds. Seconds are the unit for bare numbers because that is what people mean by `interval: 60` in YAML; a unit
 * suffix is always allowed so nobody has to guess.
 */
import {EtlError} from './errors.js'

export type Duration = string | number

const UNIT_MS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}

/** The pattern a duration string must match (JSON Schema `pattern`, so it is spelled as a string). */
export const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?|\\.\\d+)\\s*(ms|s|m|h|d)?\\s*$'
const DURATION_RE = new RegExp(DURATION_PATTERN)

function invalid(value: unknown): EtlError {
  return new EtlError(
    'ETL_CONFIG_INVALID',
    `invalid duration ${JSON.stringify(value)}: use a number of seconds or a number with a unit (ms, s, m, h, d), ` +
      `e.g. 500ms, 10s, 1.5m, 1h`,
  )
}

/** Converts a duration to whole milliseconds; throws ETL_CONFIG_INVALID for anything else (negative, NaN, no unit). */
export function parseDuration(value: Duration): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw invalid(value)
    return Math.round(value * 1000)
  }
  if (typeof value !== 'string') throw invalid(value)
  const match = DURATION_RE.exec(value)
  if (!match) throw invalid(value)
  return Math.round(Number(match[1]) * UNIT_MS[match[3] ?? 's'])
}

/** Human form for log lines: 250 → '250ms', 1500 → '1.5s', 90000 → '1.5m'. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(2)}m`
  return `${+(ms / 3_600_000).toFixed(2)}h`
}

/**
 * JSON Schema fragment for a duration property, so every plugin validates (and documents) durations the same way.
 * Zero is allowed by the schema; a plugin for which zero makes no sense checks that itself after parsing.
 */
export function durationSchema(description: string, defaultValue?: Duration): Record<string, unknown> {
  return {
    description: `${description} A number of seconds, or a number with a unit: ms, s, m, h, d.`,
    ...(defaultValue === undefined ? {} : {default: defaultValue}),
    anyOf: [
      {type: 'string', pattern: DURATION_PATTERN},
      {type: 'number', minimum: 0},
    ],
    examples: [...new Set([defaultValue ?? '10s', '500ms', '1.5m', 30])],
  }
}
