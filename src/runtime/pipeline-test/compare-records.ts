/**
 * Expected vs actual, record by record and field by field, as lines a person reads: `record 2: close: expected 101,
 * got 102`. Numbers are equal within a tolerance (default: relative 1e-9, so a YAML decimal matches the float a
 * transform computed); two texts that are both ISO 8601 times are equal when they denote the same instant.
 */
import type {EtlRecord} from '../plugin-types.js'
import type {DeadLetter} from './run-test-case.js'
import type {ExpectedDeadLetter, ExpectedRecord} from './test-model.js'

export interface CompareOptions {
  match: 'fields' | 'exact'
  tolerance?: number
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/
const MAX_SHOWN = 160

export function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value) ?? String(value)
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text
}

function numbersEqual(expected: number, actual: number, tolerance: number | undefined): boolean {
  if (expected === actual) return true
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return false
  const difference = Math.abs(expected - actual)
  if (tolerance !== undefined) return difference <= tolerance
  return difference <= 1e-9 * Math.max(1, Math.abs(expected), Math.abs(actual))
}

export function valuesEqual(expected: unknown, actual: unknown, tolerance?: number): boolean {
  if (typeof expected === 'number' && typeof actual === 'number') return numbersEqual(expected, actual, tolerance)
  if (typeof expected === 'string' && typeof actual === 'string') {
    if (expected === actual) return true
    return ISO_TIME.test(expected) && ISO_TIME.test(actual) && Date.parse(expected) === Date.parse(actual)
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return expected.length === actual.length && expected.every((item, i) => valuesEqual(item, actual[i], tolerance))
  }
  if (isObject(expected) && isObject(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)])
    return [...keys].every((key) => valuesEqual(expected[key], actual[key], tolerance))
  }
  return expected === actual
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The fields of `actual` that differ from `expected`, one line each (empty: they match). */
export function fieldDifferences(expected: EtlRecord, actual: EtlRecord, options: CompareOptions): string[] {
  const lines: string[] = []
  for (const [field, value] of Object.entries(expected)) {
    if (!Object.hasOwn(actual, field)) lines.push(`${field}: expected ${show(value)}, got no such field`)
    else if (!valuesEqual(value, actual[field], options.tolerance))
      lines.push(`${field}: expected ${show(value)}, got ${show(actual[field])}`)
  }
  if (options.match === 'exact') {
    for (const field of Object.keys(actual)) {
      if (!Object.hasOwn(expected, field)) lines.push(`${field}: not expected, got ${show(actual[field])}`)
    }
  }
  return lines
}

/** Every difference between the expected records and what came out, in order. */
export function recordDifferences(expected: ExpectedRecord[], actual: EtlRecord[], options: CompareOptions): string[] {
  const lines: string[] = []
  if (expected.length !== actual.length) lines.push(`expected ${expected.length} record(s), got ${actual.length}`)
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const want = expected[i]
    const got = actual[i]
    const label = `record ${i + 1}`
    if (want && !got) lines.push(`${label} (line ${want.place.line}): expected ${show(want.fields)}, got no record`)
    else if (!want) lines.push(`${label}: not expected, got ${show(got)}`)
    else
      for (const line of fieldDifferences(want.fields, got, options))
        lines.push(`${label} (line ${want.place.line}): ${line}`)
  }
  return lines
}

function letterDifferences(want: ExpectedDeadLetter, got: DeadLetter): string[] {
  const lines: string[] = []
  if (want.code !== got.code) lines.push(`code: expected ${want.code}, got ${got.code}`)
  if (
    want.plugin !== undefined &&
    want.plugin !== got.plugin &&
    `${got.plugin.split(':')[0]}:${want.plugin}` !== got.plugin
  ) {
    lines.push(`plugin: expected ${want.plugin}, got ${got.plugin}`)
  }
  if (want.reason !== undefined && !got.reason.includes(want.reason))
    lines.push(`reason: expected to contain ${show(want.reason)}, got ${show(got.reason)}`)
  if (want.partition !== undefined && want.partition !== got.partition)
    lines.push(`partition: expected ${want.partition}, got ${got.partition}`)
  if (want.record) {
    if (!got.record)
      lines.push(`record: expected ${show(want.record.fields)}, got an undecodable message ${show(got.raw)}`)
    else
      for (const line of fieldDifferences(want.record.fields, got.record, {match: 'fields'}))
        lines.push(`record: ${line}`)
  }
  return lines
}

export function describeLetter(letter: DeadLetter): string {
  const what = letter.record ? show(letter.record) : `message ${show(letter.raw)}`
  return `${letter.code} by ${letter.plugin} (partition ${letter.partition}): ${letter.reason} — ${what}`
}

/** Every difference between the dead letters expected (none, when undefined) and those produced. */
export function deadLetterDifferences(expected: ExpectedDeadLetter[] | undefined, actual: DeadLetter[]): string[] {
  const want = expected ?? []
  const lines: string[] = []
  if (want.length !== actual.length) lines.push(`expected ${want.length} dead letter(s), got ${actual.length}`)
  for (let i = 0; i < Math.max(want.length, actual.length); i++) {
    const label = `dead letter ${i + 1}`
    if (!actual[i]) lines.push(`${label} (line ${want[i].place.line}): expected ${want[i].code}, got none`)
    else if (!want[i]) lines.push(`${label}: not expected, got ${describeLetter(actual[i])}`)
    else
      for (const line of letterDifferences(want[i], actual[i]))
        lines.push(`${label} (line ${want[i].place.line}): ${line}`)
  }
  return lines
}
