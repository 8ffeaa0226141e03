/**
 * Reading typed values out of records for the computing transforms: records arrive from JSON (numbers) or CSV
 * (strings), and a value that is missing, NaN or Infinity must be caught and rejected, never folded into a sum.
 */
import type {EtlRecord} from '../../runtime/plugin-types.js'

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
    const ms = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : Date.parse(raw)
    return Number.isFinite(ms) ? ms : undefined
  }
  return undefined
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
