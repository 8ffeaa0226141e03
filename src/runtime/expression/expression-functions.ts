/**
 * Value semantics and built-in functions of the expression language (see expression.ts). Every helper is total: it
 * returns null instead of throwing or producing NaN/Infinity, so one odd record can never stop a pipeline and JSON
 * output never gains values it cannot represent.
 */
export type Value = unknown

export function isNumber(value: Value): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

/** JS truthiness, except that it is spelled out so and/or/not always yield booleans. */
export function truthy(value: Value): boolean {
  return Boolean(value)
}

/** Keeps results finite: division by zero and overflow give null rather than Infinity (which JSON cannot hold). */
function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null
}

export function add(a: Value, b: Value): Value {
  if (isNumber(a) && isNumber(b)) return finite(a + b)
  if (a === null || a === undefined || b === null || b === undefined) return null
  // Joining text ("'BTC/' + vs_currency") is the one non-numeric use of +; other mixes are mistakes → null.
  if (typeof a === 'string' || typeof b === 'string') return String(a) + String(b)
  return null
}

export function arithmetic(op: string, a: Value, b: Value): Value {
  if (!isNumber(a) || !isNumber(b)) return null
  switch (op) {
    case '-':
      return finite(a - b)
    case '*':
      return finite(a * b)
    case '/':
      return finite(a / b)
    default:
      return finite(a % b)
  }
}

/** Ordering compares numbers with numbers and text with text; anything else (null included) is false, as in SQL. */
export function compare(op: string, a: Value, b: Value): boolean {
  const comparable = (isNumber(a) && isNumber(b)) || (typeof a === 'string' && typeof b === 'string')
  if (!comparable) return false
  const x = a as number | string
  const y = b as number | string
  switch (op) {
    case '<':
      return x < y
    case '<=':
      return x <= y
    case '>':
      return x > y
    default:
      return x >= y
  }
}

/** Strict equality where a missing field (undefined) equals null. */
export function equals(a: Value, b: Value): boolean {
  return a === b || ((a === null || a === undefined) && (b === null || b === undefined))
}

function round(value: Value, digits: Value = 0): Value {
  if (!isNumber(value)) return null
  const places = isNumber(digits) ? Math.max(-15, Math.min(15, Math.trunc(digits))) : 0
  const sign = value < 0 ? -1 : 1
  const abs = Math.abs(value)
  if (places < 0) {
    const unit = 10 ** -places
    return sign * Math.round(abs / unit) * unit
  }
  const factor = 10 ** places
  let scaled = abs * factor
  // Near a tie, strip binary noise first (1.005 * 100 is 100.49999999999999), so round(1.005, 2) is 1.01 as a person
  // expects; elsewhere skip the costly string round trip (hot path).
  if (Math.abs(scaled - Math.floor(scaled) - 0.5) < 1e-6) scaled = Number(scaled.toPrecision(15))
  return sign * (Math.round(scaled) / factor)
}

function numeric(fn: (x: number) => number) {
  return (value: Value): Value => (isNumber(value) ? finite(fn(value)) : null)
}

function text(fn: (x: string) => string) {
  return (value: Value): Value => (value === null || value === undefined ? null : fn(String(value)))
}

function extreme(pick: (a: number, b: number) => number) {
  return (...values: Value[]): Value => {
    let best: number | null = null
    for (const value of values) if (isNumber(value)) best = best === null ? value : pick(best, value)
    return best
  }
}

export interface FunctionSpec {
  fn: (...args: Value[]) => Value
  minArgs: number
  maxArgs: number
  help: string
}

export const FUNCTIONS: Record<string, FunctionSpec> = {
  round: {
    fn: round,
    minArgs: 1,
    maxArgs: 2,
    help: 'round(x, digits = 0) (half away from zero; digits may be negative)',
  },
  abs: {fn: numeric(Math.abs), minArgs: 1, maxArgs: 1, help: 'abs(x)'},
  floor: {fn: numeric(Math.floor), minArgs: 1, maxArgs: 1, help: 'floor(x)'},
  ceil: {fn: numeric(Math.ceil), minArgs: 1, maxArgs: 1, help: 'ceil(x)'},
  min: {fn: extreme(Math.min), minArgs: 1, maxArgs: Infinity, help: 'min(a, b, …) (smallest number, nulls ignored)'},
  max: {fn: extreme(Math.max), minArgs: 1, maxArgs: Infinity, help: 'max(a, b, …) (largest number, nulls ignored)'},
  lower: {fn: text((s) => s.toLowerCase()), minArgs: 1, maxArgs: 1, help: 'lower(text)'},
  upper: {fn: text((s) => s.toUpperCase()), minArgs: 1, maxArgs: 1, help: 'upper(text)'},
  coalesce: {
    fn: (...values) => values.find((v) => v !== null && v !== undefined) ?? null,
    minArgs: 1,
    maxArgs: Infinity,
    help: 'coalesce(a, b, …) (first argument that is not null or missing)',
  },
  number: {
    fn: (value) => {
      if (isNumber(value)) return value
      if (typeof value !== 'string' || value.trim() === '') return null
      const parsed = Number(value)
      return Number.isFinite(parsed) ? parsed : null
    },
    minArgs: 1,
    maxArgs: 1,
    help: "number(x) (a number from numeric text: '12.5' → 12.5, else null)",
  },
  string: {fn: text((s) => s), minArgs: 1, maxArgs: 1, help: 'string(x) (x as text)'},
}
