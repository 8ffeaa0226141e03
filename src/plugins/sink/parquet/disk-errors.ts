/**
 * File system failures of the lake as errors a user can act on. A full disk (or quota) is ETL_SINK_DISK_FULL, which
 * the sink's retry policy retries (space may be freed: logs rotated, another job done) before the stage fails; a
 * folder the process may not write in (permissions, a read-only mount) is ETL_SINK_PERMANENT, since waiting does not
 * fix it. Either way nothing of the batch is committed: the error comes before the state file records it.
 */
import {EtlError, isEtlError, messageOf} from '../../../sdk/index.js'

const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG'])
const UNWRITABLE = new Set(['EACCES', 'EPERM', 'EROFS'])

/** `error` from `action` (e.g. "appending to the spool") under `root`, as an EtlError when its cause is known. */
export function lakeError(error: unknown, root: string, action: string): unknown {
  if (isEtlError(error)) return error
  const code = (error as NodeJS.ErrnoException | null)?.code
  if (code && FULL.has(code))
    return new EtlError(
      'ETL_SINK_DISK_FULL',
      `parquet lake ${root}: no space left while ${action} (${code}); free space or move path: ` +
        'nothing of this batch was committed, it is written again once there is room',
      {cause: error, details: {root, errno: code}},
    )
  if (code && UNWRITABLE.has(code))
    return new EtlError(
      'ETL_SINK_PERMANENT',
      `parquet lake ${root}: cannot write while ${action} (${code}: ${messageOf(error)}); ` +
        'check the folder permissions or choose another path',
      {cause: error, details: {root, errno: code}},
    )
  return error
}

/** Runs `operation`, turning its file system failure into lakeError's. */
export async function onDisk<T>(root: string, action: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    throw lakeError(error, root, action)
  }
}
