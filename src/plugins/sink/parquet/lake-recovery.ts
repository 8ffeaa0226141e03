/**
 * Start-up of a lake after whatever happened to the last run: finishes the renames a crash interrupted, removes
 * temporary files no state records, and cuts the spool back to its recorded length (a torn line, or rows of inputs
 * that were never recorded and are delivered again). What is left is exactly what the state file claims.
 */
import {EtlError, type Logger} from '../../../sdk/index.js'
import type {Column} from './column-types.js'
import {insideLake, removeTemps, renamePending} from './lake-files.js'
import {EMPTY_STATE, readState, statePathOf, writeState, type LakeState} from './lake-state.js'
import {parseSpoolLine, type SpoolRow} from './row-encoder.js'
import type {SpoolFile} from './spool-file.js'

/** The lake's state with its pending renames done (and recorded as done). */
export async function recoverState(root: string, logger: Logger, fsync: boolean): Promise<LakeState> {
  let state: LakeState | undefined
  try {
    state = await readState(root)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code) throw error
    throw new EtlError(
      'ETL_SINK_PERMANENT',
      `parquet lake ${root}: ${statePathOf(root)} is unreadable (${(error as Error).message}); it is written ` +
        'atomically, so it was edited by hand: restore it, or remove the _etl folder to start positions afresh',
      {cause: error},
    )
  }
  if (!state) return {...EMPTY_STATE, partitions: new Map()}
  if (state.pending.length === 0) return state
  const safe = state.pending.filter(insideLake)
  const renamed = await renamePending(root, safe, fsync)
  if (renamed > 0) logger.info(`parquet lake ${root}: finished ${renamed} file rename(s) a crash interrupted`)
  state = {...state, pending: []}
  await writeState(root, state, fsync)
  return state
}

/** Removes temporary files of rolls that never got recorded. */
export async function removeStrayTemps(root: string, logger: Logger): Promise<void> {
  const removed = await removeTemps(root)
  if (removed.length > 0)
    logger.info(`parquet lake ${root}: removed ${removed.length} unfinished temporary file(s) of an interrupted roll`)
}

/** The spool cut to its recorded length, and its rows; `state.spoolBytes` adjusted when the spool is shorter. */
export async function recoverSpool(
  spool: SpoolFile,
  state: LakeState,
  columns: readonly Column[] | undefined,
  logger: Logger,
): Promise<{rows: SpoolRow[]; state: LakeState}> {
  const size = await spool.size()
  let bytes = state.spoolBytes
  if (size > bytes) {
    await spool.truncate(bytes, true)
    logger.info(
      `parquet lake: removed the last ${size - bytes} byte(s) of ${spool.path}: rows written after the last ` +
        'recorded position, whose input is delivered again (or a row torn by a crash)',
    )
  } else if (size < bytes) {
    logger.warn(
      `parquet lake: ${spool.path} is shorter (${size} bytes) than recorded (${bytes}): it was truncated by hand; ` +
        'the rows it lost are not in the lake',
    )
    bytes = size
  }
  if (bytes === 0) return {rows: [], state: {...state, spoolBytes: 0}}
  if (!columns) throw new EtlError('ETL_SINK_PERMANENT', `parquet lake: ${spool.path} holds rows but no columns`)
  const lines = (await spool.read(bytes)).split('\n')
  const complete = lines.slice(0, -1) // a spool within its recorded length ends with a line break
  const rows = complete.map((line) => parseSpoolLine(line, columns.length))
  const kept = Buffer.byteLength(complete.map((line) => line + '\n').join(''))
  if (kept !== bytes) await spool.truncate(kept, true)
  return {rows, state: {...state, spoolBytes: kept}}
}
