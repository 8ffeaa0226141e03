/**
 * Two postgres sinks of one process stage must not write the same table: they would share one row of positions per
 * partition in etl_offsets, and each would take the other's rows as already written. Claims are per process stage
 * (its context.consumer object), so separate processes — the workers of a scaled-out group — still share a table.
 */
import {EtlError} from '../../../sdk/index.js'

const claims = new WeakMap<object, Set<string>>()

/** Claims `table` for the stage `consumer` stands for; returns the release. Outside the process stage: no claim. */
export function claimTable(consumer: object | undefined, table: string): () => void {
  if (!consumer) return () => undefined
  const tables = claims.get(consumer) ?? new Set<string>()
  claims.set(consumer, tables)
  if (tables.has(table)) {
    throw new EtlError(
      'ETL_CONFIG_INVALID',
      `postgres sink: two postgres sinks of this pipeline write table ${table}; their positions in etl_offsets ` +
        'would mix. Give each its own table.',
    )
  }
  tables.add(table)
  return () => tables.delete(table)
}
