/**
 * `<root>/_etl/state.json`, the one record of what the lake holds, replaced atomically at every flush and roll:
 *
 * - `partitions`: per partition of the consumed topic, the offset after the last input whose rows are in the lake
 *   (in Parquet files or in the spool). What positions() returns, so a replay after a crash skips them.
 * - `spoolBytes`: how much of the spool is committed; bytes past it belong to inputs not recorded (cut at start-up).
 * - `pending`: Parquet files written under temporary names and about to be renamed into the lake, recorded together
 *   with the spool being consumed (`spoolBytes: 0`): start-up finishes renames a crash interrupted.
 * - `columns`: the lake's schema once settled, `nextFile`: the number of the next file, `spoolSince`: when the
 *   oldest spooled row was spooled (the age limit counts from it).
 *
 * The leading underscore keeps `_etl/` out of Hive-style readers' partition discovery.
 */
import {mkdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {COLUMN_TYPES, type Column} from './column-types.js'
import {replaceFileAtomically} from '../../shared/files/atomic-file.js'

const VERSION = 1

export interface PendingRename {
  /** Relative to the root, under `_etl/tmp/`. */
  temp: string
  /** Relative to the root: `<partition folders>/part-….parquet`. */
  final: string
}

export interface LakeState {
  topic: string | null
  partitions: Map<number, bigint>
  columns: Column[] | undefined
  spoolBytes: number
  spoolSince: number | undefined
  nextFile: number
  pending: PendingRename[]
}

export const EMPTY_STATE: LakeState = {
  topic: null,
  partitions: new Map(),
  columns: undefined,
  spoolBytes: 0,
  spoolSince: undefined,
  nextFile: 1,
  pending: [],
}

export const META_DIR = '_etl'
export const TEMP_DIR = join(META_DIR, 'tmp')

export function statePathOf(root: string): string {
  return join(root, META_DIR, 'state.json')
}

export function stateJson(state: LakeState): string {
  return (
    JSON.stringify({
      version: VERSION,
      topic: state.topic,
      partitions: Object.fromEntries(
        [...state.partitions].sort(([a], [b]) => a - b).map(([p, o]) => [String(p), o.toString()]),
      ),
      columns: state.columns ?? null,
      spoolBytes: state.spoolBytes,
      spoolSince: state.spoolSince ?? null,
      nextFile: state.nextFile,
      pending: state.pending,
    }) + '\n'
  )
}

function isColumn(value: unknown): value is Column {
  const column = value as Column
  return typeof column?.name === 'string' && (COLUMN_TYPES as readonly string[]).includes(column.type)
}

/** The state file's content; throws when it is not one. */
export function parseState(text: string): LakeState {
  const json = JSON.parse(text) as Record<string, unknown>
  const {spoolBytes, nextFile, pending, columns} = json
  if (json.version !== VERSION || !Number.isSafeInteger(spoolBytes) || (spoolBytes as number) < 0)
    throw new Error('unknown version or spool length')
  if (!Number.isSafeInteger(nextFile) || !Array.isArray(pending)) throw new Error('no file counter or pending list')
  if (columns !== null && !(Array.isArray(columns) && columns.every(isColumn))) throw new Error('bad columns')
  const partitions = new Map<number, bigint>()
  for (const [partition, offset] of Object.entries((json.partitions ?? {}) as Record<string, string>))
    partitions.set(Number(partition), BigInt(offset))
  return {
    topic: typeof json.topic === 'string' ? json.topic : null,
    partitions,
    columns: columns ?? undefined,
    spoolBytes: spoolBytes as number,
    spoolSince: typeof json.spoolSince === 'number' ? json.spoolSince : undefined,
    nextFile: nextFile as number,
    pending: (pending as PendingRename[]).filter((p) => typeof p.temp === 'string' && typeof p.final === 'string'),
  }
}

/** The lake's state, or undefined for a new lake. An unreadable state file is an error: the lake needs it. */
export async function readState(root: string): Promise<LakeState | undefined> {
  let text: string
  try {
    text = await readFile(statePathOf(root), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return parseState(text)
}

export async function writeState(root: string, state: LakeState, sync: boolean): Promise<void> {
  await mkdir(join(root, META_DIR), {recursive: true})
  await replaceFileAtomically(statePathOf(root), stateJson(state), sync)
}
