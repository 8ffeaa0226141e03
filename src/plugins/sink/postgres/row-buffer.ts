/**
 * Rows waiting for the next flush, each group tagged with the input it came from (partition, next offset). At the
 * flush, the positions locked in the database decide what is still to be written: a group another writer (a zombie
 * process, or the worker this partition moved from) already wrote is dropped; a position inside a group cannot be
 * honoured without writing some rows twice or losing others, so it stops the flush (ETL_SINK_CONFLICT).
 */
import {EtlError, type EtlRecord, type SinkOrigin} from '../../../sdk/index.js'
import type {Cell} from './column-types.js'

export interface BufferedRow {
  /** Values for their column types, in column order (column-types.ts Cell: text, a double, null for SQL NULL). */
  values: Cell[]
  record: EtlRecord
}

export interface Rejection {
  record: EtlRecord
  reason: string
}

interface Group {
  origin?: SinkOrigin
  rows: BufferedRow[]
  rejects: Rejection[]
}

/** What one flush writes: the rows left, the rejections that go with them, the positions it moves to. */
export interface FlushPlan {
  rows: BufferedRow[]
  rejects: Rejection[]
  advance: Map<number, bigint>
  /** Rows dropped because the table already holds their inputs. */
  dropped: number
}

export class RowBuffer {
  private groups: Group[] = []

  add(rows: BufferedRow[], rejects: Rejection[], origin?: SinkOrigin): void {
    this.groups.push({origin, rows, rejects})
  }

  isEmpty(): boolean {
    return this.groups.length === 0
  }

  /** Partitions with groups of a known origin, ascending. */
  partitions(): number[] {
    const seen = new Set<number>()
    for (const {origin} of this.groups) if (origin) seen.add(origin.partition)
    return [...seen].sort((a, b) => a - b)
  }

  clear(): void {
    this.groups = []
  }

  /**
   * Decides the flush from `stored` (the locked positions) and `known` (what this sink last read or wrote). Rows of
   * a group whose next offset is at or below the stored position are dropped; so are their rejections.
   */
  plan(stored: ReadonlyMap<number, bigint>, known: ReadonlyMap<number, bigint>, table: string): FlushPlan {
    const plan: FlushPlan = {rows: [], rejects: [], advance: new Map(), dropped: 0}
    const cuts = new Map<number, bigint>()
    for (const partition of this.partitions()) {
      cuts.set(partition, this.cutOf(partition, stored.get(partition) ?? 0n, known.get(partition) ?? 0n, table))
    }
    for (const group of this.groups) {
      const cut = group.origin && cuts.get(group.origin.partition)
      if (group.origin && cut !== undefined && group.origin.nextOffset <= cut) {
        plan.dropped += group.rows.length
        continue
      }
      plan.rows.push(...group.rows)
      plan.rejects.push(...group.rejects)
      if (group.origin) {
        const {partition, nextOffset} = group.origin
        if ((plan.advance.get(partition) ?? 0n) < nextOffset) plan.advance.set(partition, nextOffset)
      }
    }
    return plan
  }

  /**
   * The offset at and below which this partition's groups are already in the table: the stored position when another
   * writer moved it to a boundary between groups (or past all of them); nothing when it is where this sink left it.
   */
  private cutOf(partition: number, stored: bigint, known: bigint, table: string): bigint {
    if (stored <= known) return -1n
    const ends = this.groups.filter((group) => group.origin?.partition === partition).map((g) => g.origin!.nextOffset)
    if (stored >= ends[ends.length - 1] || stored === known || ends.includes(stored)) return stored
    throw new EtlError(
      'ETL_SINK_CONFLICT',
      `postgres sink, table ${table}: partition ${partition}: another writer recorded offset ${stored}, inside the ` +
        `inputs of this batch (${known}…${ends[ends.length - 1]}); writing it would duplicate rows and dropping ` +
        'it would lose some, so nothing was written. Two processes of one group owned the partition at once; ' +
        'restart this one to continue after the recorded position.',
      {details: {table, partition, stored: stored.toString(), known: known.toString()}},
    )
  }
}
