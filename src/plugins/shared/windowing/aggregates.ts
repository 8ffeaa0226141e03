/**
 * The per-window accumulators. Each keeps O(1) state whatever the window's length, and each can be written to JSON
 * and read back exactly, so a restored window continues as if the process had never stopped.
 */
export const AGGREGATE_OPS = ['first', 'last', 'min', 'max', 'sum', 'avg', 'count'] as const
export type AggregateOp = (typeof AGGREGATE_OPS)[number]

export interface AggregateSpec {
  /** Output field. */
  name: string
  op: AggregateOp
  /** Input field; absent only for count. */
  field?: string
}

/**
 * A window's state as one array of numbers: the record count, then two numbers per aggregate, in the order of the
 * specs. One array rather than an object per aggregate because a window is created for (nearly) every record when
 * windows are short, and V8 keeps an array of numbers unboxed: one allocation instead of a dozen.
 *   first/last: [event time of the value kept, value]   min/max: [value, unused]
 *   sum/avg: [sum, compensation] (Kahan–Babuška, as CompensatedSum)   count: unused
 */
export type WindowAccumulator = number[]

/** Index of the first of specs[i]'s two numbers. */
const at = (i: number) => 1 + 2 * i

/** A window holding no record yet (the engine builds one and copies it for each new window). */
export function newAccumulator(specs: readonly AggregateSpec[]): WindowAccumulator {
  const acc = [0]
  for (const spec of specs) {
    switch (spec.op) {
      case 'first':
        acc.push(Number.POSITIVE_INFINITY, Number.NaN)
        break
      case 'last':
        acc.push(Number.NEGATIVE_INFINITY, Number.NaN)
        break
      case 'min':
        acc.push(Number.POSITIVE_INFINITY, 0)
        break
      case 'max':
        acc.push(Number.NEGATIVE_INFINITY, 0)
        break
      default:
        acc.push(0, 0)
    }
  }
  return acc
}

/**
 * CompensatedSum#add (record-values.ts) on acc[index] (sum) and acc[index + 1] (compensation): the same steps, bit
 * for bit.
 */
function addCompensated(acc: WindowAccumulator, index: number, value: number): void {
  const sum = acc[index]
  const total = sum + value
  if (Math.abs(sum) >= Math.abs(value)) acc[index + 1] += sum - total + value
  else acc[index + 1] += value - total + sum
  acc[index] = total
}

/**
 * Folds one record in. `values[i]` is the (already checked, finite) input of specs[i]. first/last go by event time,
 * not arrival, so a tick that arrives out of order inside its window still opens or closes the candle; on equal times
 * the earlier arrival is first and the later arrival is last, which is what arrival order would give.
 */
export function accumulate(
  acc: WindowAccumulator,
  specs: readonly AggregateSpec[],
  values: readonly number[],
  time: number,
): void {
  acc[0]++
  // Index loop and plain assignments: this runs for every record and window, so it allocates nothing.
  for (let i = 0; i < specs.length; i++) {
    const index = at(i)
    const value = values[i]
    switch (specs[i].op) {
      case 'first':
        if (time < acc[index]) {
          acc[index] = time
          acc[index + 1] = value
        }
        break
      case 'last':
        if (time >= acc[index]) {
          acc[index] = time
          acc[index + 1] = value
        }
        break
      case 'min':
        acc[index] = Math.min(acc[index], value)
        break
      case 'max':
        acc[index] = Math.max(acc[index], value)
        break
      case 'sum':
      case 'avg':
        addCompensated(acc, index, value)
        break
    }
  }
}

/**
 * Sets each aggregate's value on `record` under its name, in spec order (written in place: this runs for every
 * window emitted). A window always holds at least one record when it is read.
 */
export function writeResults(
  acc: WindowAccumulator,
  specs: readonly AggregateSpec[],
  record: Record<string, unknown>,
): void {
  const count = acc[0]
  for (let i = 0; i < specs.length; i++) {
    const index = at(i)
    switch (specs[i].op) {
      case 'count':
        record[specs[i].name] = count
        break
      case 'sum':
        record[specs[i].name] = acc[index] + acc[index + 1]
        break
      case 'avg':
        record[specs[i].name] = (acc[index] + acc[index + 1]) / count
        break
      case 'first':
      case 'last':
        record[specs[i].name] = acc[index + 1]
        break
      default:
        record[specs[i].name] = acc[index]
    }
  }
}

/** JSON form: [count, ...slots], sums as their two parts, first/last as [time, value]. */
export type SavedAccumulator = [count: number, ...slots: unknown[]]

export function saveAccumulator(acc: WindowAccumulator, specs: readonly AggregateSpec[]): SavedAccumulator {
  return [
    acc[0],
    ...specs.map((spec, i) => {
      const index = at(i)
      switch (spec.op) {
        case 'count':
          return null
        case 'sum':
        case 'avg':
        case 'first':
        case 'last':
          return [acc[index], acc[index + 1]]
        default:
          return acc[index]
      }
    }),
  ]
}

function finite(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new Error(`expected a finite number, got ${JSON.stringify(value)}`)
  return value
}

function pair(value: unknown): [number, number] {
  if (!Array.isArray(value) || value.length !== 2)
    throw new Error(`expected a pair of numbers, got ${JSON.stringify(value)}`)
  return [finite(value[0]), finite(value[1])]
}

/** Inverse of saveAccumulator; throws on anything malformed (a hand-edited or truncated state file). */
export function loadAccumulator(saved: unknown, specs: readonly AggregateSpec[]): WindowAccumulator {
  if (!Array.isArray(saved) || saved.length !== specs.length + 1)
    throw new Error('accumulator does not match the aggregates')
  const count = finite(saved[0])
  if (!Number.isInteger(count) || count < 1) throw new Error(`window count ${count} is not a positive integer`)
  const acc = newAccumulator(specs)
  acc[0] = count
  for (let i = 0; i < specs.length; i++) {
    const raw = saved[i + 1]
    switch (specs[i].op) {
      case 'count':
        break
      case 'sum':
      case 'avg':
      case 'first':
      case 'last':
        acc.splice(at(i), 2, ...pair(raw))
        break
      default:
        acc[at(i)] = finite(raw)
    }
  }
  return acc
}
