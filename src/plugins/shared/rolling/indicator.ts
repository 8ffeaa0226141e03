/**
 * The loop every indicator transform (sma, ema, vwap, pct_change, zscore) shares: read the input numbers, reject the
 * record when one is not a finite number (before it can touch any state), else fold it into its key's state and pass
 * on a copy with the indicator's fields added. Input records are never modified: another stage may still hold them.
 */
import {type EtlRecord, finiteNumber, type PluginContext, type TransformInstance} from '../../../sdk/index.js'
import {KeyedState} from './keyed-state.js'

export interface IndicatorSpec<State> {
  key: readonly string[]
  /** Numeric fields read from each record, in this order, into `step`'s `values`. */
  inputs: readonly string[]
  createState(): State
  /** A problem with finite inputs that still makes the record unusable (a negative volume); checked before `step`. */
  check?(values: readonly number[]): {code: string; reason: string} | undefined
  /** Folds the record's values into its series' state and sets the added fields on `output` (a copy of the record). */
  step(state: State, values: readonly number[], output: EtlRecord): void
}

/** Why a field cannot be computed with, for the dead-letter reason: missing, null, NaN, Infinity or not numeric. */
export function notFiniteReason(record: EtlRecord, field: string): string {
  if (!Object.hasOwn(record, field)) return `${field} is missing`
  const raw = record[field]
  const shown = typeof raw === 'number' || raw === null ? String(raw) : (JSON.stringify(raw) ?? String(raw))
  return `${field} is ${shown.length > 60 ? shown.slice(0, 57) + '...' : shown}, not a finite number`
}

export function indicatorTransform<State>(spec: IndicatorSpec<State>, context: PluginContext): TransformInstance {
  const states = new KeyedState(spec.key, () => spec.createState())
  const values: number[] = new Array(spec.inputs.length).fill(0)
  return {
    process(records) {
      const out: EtlRecord[] = []
      for (const record of records) {
        let bad: string | undefined
        for (let i = 0; i < spec.inputs.length && bad === undefined; i++) {
          const value = finiteNumber(record, spec.inputs[i])
          if (value === undefined) bad = spec.inputs[i]
          else values[i] = value
        }
        if (bad !== undefined) {
          context.reject(record, 'ETL_VALUE_NOT_FINITE', notFiniteReason(record, bad))
          continue
        }
        const problem = spec.check?.(values)
        if (problem) {
          context.reject(record, problem.code, problem.reason)
          continue
        }
        const output = {...record}
        spec.step(states.of(record), values, output)
        out.push(output)
      }
      return out
    },
  }
}

/** Config property naming the numeric input field. */
export function fieldProperty(description: string, defaultValue = 'price_usd'): Record<string, unknown> {
  return {type: 'string', minLength: 1, default: defaultValue, description, examples: [defaultValue, 'close', 'volume']}
}

/** Config property for a window length in records. */
export function periodProperty(description: string, defaultValue: number, minimum = 1): Record<string, unknown> {
  return {type: 'integer', minimum, default: defaultValue, description, examples: [defaultValue, 50, 200]}
}

/** Config property naming the added field; its default depends on other fields, so it is described, not declared. */
export function asProperty(defaultName: string, example: string): Record<string, unknown> {
  return {
    type: 'string',
    minLength: 1,
    description: `Name of the added field (default ${defaultName}); an existing field of that name is replaced.`,
    examples: [example],
  }
}
