/**
 * Turns one JSON item into the flat record the expression language reads: nested objects and arrays become dotted
 * names (`price.usd`, `0`, `bids.0.1` — written in backticks in an expression: `` `price.usd` ``), so field
 * expressions reach anything in the item without a path syntax of their own.
 */
import type {EtlRecord} from '../../../sdk/index.js'
import {isObject} from './json-path.js'

/** Deeper structure is kept as JSON text: an API with 50 levels of nesting must not make 50-level names. */
const MAX_DEPTH = 8

export function flattenItem(item: unknown): EtlRecord {
  const out: EtlRecord = {}
  if (isObject(item) || Array.isArray(item)) addEntries(out, '', item, 0)
  else out.value = item ?? null // a list of plain values: each is `value`
  return out
}

function addEntries(out: EtlRecord, prefix: string, node: Record<string, unknown> | unknown[], depth: number): void {
  const entries = Array.isArray(node)
    ? node.map((value, index) => [String(index), value] as const)
    : Object.entries(node)
  for (const [name, value] of entries) {
    const key = prefix === '' ? name : `${prefix}.${name}`
    if ((isObject(value) || Array.isArray(value)) && depth < MAX_DEPTH) {
      addEntries(out, key, value, depth + 1)
    } else {
      out[key] = isObject(value) || Array.isArray(value) ? JSON.stringify(value) : (value ?? null)
    }
  }
}
