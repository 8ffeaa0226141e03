/**
 * The consumed positions, kept in the database beside the rows (the pattern of Kafka Connect's exactly-once sinks):
 * one row per (consumer group, sink table, topic, partition) holding the offset after the last input whose rows are
 * in the table. The rows and this position change in one transaction, so they always agree, whatever is killed when.
 */
import type pg from 'pg'
import {
  advanceOffsetsSql,
  createOffsetsTableSql,
  DDL_LOCK_SQL,
  lockOffsetsSql,
  qualified,
  readOffsetsSql,
  tableKey,
  type TableName,
} from './sql-text.js'

interface OffsetRow {
  partition: number
  next_offset: string
}

function positionsOf(rows: OffsetRow[]): Map<number, bigint> {
  return new Map(rows.map((row) => [row.partition, BigInt(row.next_offset)]))
}

export class OffsetsTable {
  constructor(
    private readonly offsets: Required<TableName>,
    /** Identifies this sink's rows: consumer group and the data table's `schema.name`. */
    private readonly group: string,
    private readonly table: string,
  ) {}

  /** Creates the table when missing (only then: an existing one needs no CREATE privilege), inside a transaction. */
  async ensure(client: pg.ClientBase): Promise<void> {
    const {rows} = await client.query<{found: string | null}>('SELECT to_regclass($1)::text AS found', [
      qualified(this.offsets),
    ])
    if (rows[0].found !== null) return
    await client.query(DDL_LOCK_SQL, [tableKey(this.offsets)])
    await client.query(createOffsetsTableSql(this.offsets))
  }

  /**
   * Locks and returns the positions of `partitions` (lockOffsetsSql), creating the rows of partitions written for the
   * first time, so those are locked too: a second writer waits here until this transaction ends.
   */
  async lock(client: pg.ClientBase, topic: string, partitions: number[]): Promise<Map<number, bigint>> {
    const sorted = [...partitions].sort((a, b) => a - b)
    const params = [this.group, this.table, topic, sorted]
    return positionsOf((await client.query<OffsetRow>(lockOffsetsSql(this.offsets), params)).rows)
  }

  /** Moves the positions forward to `next` (never back), in the caller's transaction. */
  async advance(client: pg.ClientBase, topic: string, next: Map<number, bigint>): Promise<void> {
    if (next.size === 0) return
    const partitions = [...next.keys()]
    const offsets = partitions.map((partition) => next.get(partition)!.toString())
    await client.query(advanceOffsetsSql(this.offsets), [this.group, this.table, topic, partitions, offsets])
  }

  /** The committed positions of `topic`. */
  async read(client: pg.ClientBase, topic: string): Promise<Map<number, bigint>> {
    const {rows} = await client.query<OffsetRow>(readOffsetsSql(this.offsets), [this.group, this.table, topic])
    return positionsOf(rows)
  }
}
