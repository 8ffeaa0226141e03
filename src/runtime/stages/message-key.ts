/**
 * How the runtime keys the Kafka messages it makes. The key picks the partition (records of one key stay in order on
 * one partition) and is what compaction and a reader of the dead-letter topic see. It comes from the pipeline's key
 * expression (`kafka.key`, else the one the source plugin declares; config/normalize-pipeline.ts), so the runtime
 * itself knows no field of the records.
 */
import {compileExpression} from '../expression/expression.js'
import type {EtlRecord} from '../plugin-types.js'

/** The key of a record's message: the key expression's text or finite number, as text; anything else is no key. */
export type MessageKeyOf = (record: EtlRecord) => string | null

/** The key function of a pipeline whose key expression is `expression` (checked when the file was loaded). */
export function messageKeyOf(expression: string | undefined): MessageKeyOf {
  if (expression === undefined) return () => null
  const keyValue = compileExpression(expression)
  return (record) => keyText(keyValue(record))
}

function keyText(value: unknown): string | null {
  if (typeof value === 'string') return value
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : null
}

/** The key of a dead letter for a message that could not be decoded: the consumed message's own key, as text. */
export function consumedMessageKey(key: Buffer | null): string | null {
  return key?.toString('utf8') ?? null
}
