/**
 * Per-series state for the keyed transforms: each distinct combination of key fields (a coin in a currency) gets its
 * own state, created on first sight, so interleaved BTC and ETH records never mix their windows.
 */
import {type EtlRecord, groupKey} from '../../../sdk/index.js'

export const DEFAULT_KEY: readonly string[] = ['symbol', 'vs_currency']

/** The `key` config property, described the same way by every keyed transform. */
export function keyProperty(): Record<string, unknown> {
  return {
    type: 'array',
    items: {type: 'string', minLength: 1},
    uniqueItems: true,
    default: [...DEFAULT_KEY],
    description:
      'Fields that identify a series: each distinct combination of their values keeps its own state. A record ' +
      'missing a key field groups with others whose field is missing (as an empty value); [] makes one series of all.',
    examples: [['symbol', 'vs_currency'], ['coin_id'], []],
  }
}

export class KeyedState<State> {
  private readonly states = new Map<string, State>()

  constructor(
    private readonly fields: readonly string[],
    private readonly create: () => State,
  ) {}

  /** The state of the record's series, created on first use. */
  of(record: EtlRecord): State {
    const key = groupKey(record, this.fields)
    let state = this.states.get(key)
    if (state === undefined) {
      state = this.create()
      this.states.set(key, state)
    }
    return state
  }

  get size(): number {
    return this.states.size
  }
}

/** The record's key fields (missing ones as null), to stamp derived records such as alerts with their series. */
export function keyFields(record: EtlRecord, fields: readonly string[]): EtlRecord {
  const out: EtlRecord = {}
  for (const field of fields) out[field] = record[field] ?? null
  return out
}

/** Human label of the series for messages: the non-empty key values joined by '/' ("BTC/usd"). */
export function keyLabel(record: EtlRecord, fields: readonly string[]): string {
  const parts = fields
    .map((field) => record[field])
    .filter((value) => value !== undefined && value !== null && value !== '')
  return parts.length === 0 ? 'all records' : parts.map(String).join('/')
}
