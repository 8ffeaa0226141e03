/**
 * The per-window accumulators. Each keeps O(1) state whatever the window's length, and each can be written to JSON
 * and read back exactly, so a restored window continues as if the process had never stopped.
 */
import {CompensatedSum} from '../record-values.js'

export const AGGREGATE_OPS = ['first', 'last', 'min', 'max', 'sum', 'avg', 'count'] as const
export type AggregateOp = (typeof AGGREGATE_OPS)[number]

export interface AggregateSpec {
  /** Output field. */
  name: string
  op: AggregateOp
  /** Input field; absent only for count. */
  field?: string
}

/** A window's state: how many records it holds and one slot per aggregate, in the order of the specs. */
export interface WindowAccumulator {
  count: number
  slots: Slot[]
}

type Slot = TimedValue | Extreme | CompensatedSum | null
/** first/last: the value with the earliest/latest event time seen so far. */
interface TimedValue {
  time: number
  value: number
}
interface Extreme {
  value: number
}

export function newAccumulator(specs: readonly AggregateSpec[]): WindowAccumulator {
  return {count: 0, slots: specs.map((spec) => newSlot(spec.op))}
}

function newSlot(op: AggregateOp): Slot {
  switch (op) {
    case 'first':
      return {time: Number.POSITIVE_INFINITY, value: Number.NaN}
    case 'last':
      return {time: Number.NEGATIVE_INFINITY, value: Number.NaN}
    case 'min':
      return {value: Number.POSITIVE_INFINITY}
    case 'max':
      return {value: Number.NEGATIVE_INFINITY}
    case 'sum':
    case 'avg':
      return new CompensatedSum()
    case 'count':
      return null
  }
}

/**
 * Folds one record in. `values[i]` is the (already checked, finite) input of specs[i]. first/last go by event time,
 * not arrival, so a tick that arrives out of order inside its window still opens or closes the candle; on equal times
 * the earlier arrival is first and the later arrival is last, which is what arrival order would give.
 */
export function accumulate(acc: WindowAccumulator, specs: readonly AggregateSpec[], values: readonly number[], time: number): void {
  acc.count++
  // Index loop and plain assignments: this runs for every record and window, so it allocates nothing.
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]
    const slot = acc.slots[i]
    const value = values[i]
    if (spec.op === 'first' || spec.op === 'last') {
      const timed = slot as TimedValue
      if (spec.op === 'first' ? time < timed.time : time >= timed.time) {
        timed.time = time
        timed.value = value
      }
    } else if (spec.op === 'min' || spec.op === 'max') {
      const extreme = slot as Extreme
      extreme.value = spec.op === 'min' ? Math.min(extreme.value, value) : Math.max(extreme.value, value)
    } else if (slot instanceof CompensatedSum) {
      slot.add(value)
    }
  }
}

/** The aggregates' values, in spec order. A window always holds at least one record when it is read. */
export function results(acc: WindowAccumulator, specs: readonly AggregateSpec[]): number[] {
  return specs.map((spec, i) => {
    const slot = acc.slots[i]
    switch (spec.op) {
      case 'count':
        return acc.count
      case 'sum':
        return (slot as CompensatedSum).value
      case 'avg':
        return (slot as CompensatedSum).value / acc.count
      default:
        return (slot as TimedValue | Extreme).value
    }
  })
}

/** JSON form: [count, ...slots], sums as their two parts, first/last as [time, value]. */
export type SavedAccumulator = [count: number, ...slots: unknown[]]

export function saveAccumulator(acc: WindowAccumulator, specs: readonly AggregateSpec[]): SavedAccumulator {
  return [
    acc.count,
    ...specs.map((spec, i) => {
      const slot = acc.slots[i]
      if (slot === null) return null
      if (slot instanceof CompensatedSum) return slot.parts
      if ('time' in slot) return [slot.time, slot.value]
      return slot.value
    }),
  ]
}

function finite(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`expected a finite number, got ${JSON.stringify(value)}`)
  return value
}

function pair(value: unknown): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) throw new Error(`expected a pair of numbers, got ${JSON.stringify(value)}`)
  return [finite(value[0]), finite(value[1])]
}

/** Inverse of saveAccumulator; throws on anything malformed (a hand-edited or truncated state file). */
export function loadAccumulator(saved: unknown, specs: readonly AggregateSpec[]): WindowAccumulator {
  if (!Array.isArray(saved) || saved.length !== specs.length + 1) throw new Error('accumulator does not match the aggregates')
  const count = finite(saved[0])
  if (!Number.isInteger(count) || count < 1) throw new Error(`window count ${count} is not a positive integer`)
  const slots = specs.map((spec, i): Slot => {
    const raw = saved[i + 1]
    switch (spec.op) {
      case 'count':
        return null
      case 'sum':
      case 'avg':
        return CompensatedSum.fromParts(pair(raw))
      case 'first':
      case 'last': {
        const [time, value] = pair(raw)
        return {time, value}
      }
      default:
        return {value: finite(raw)}
    }
  })
  return {count, slots}
}
