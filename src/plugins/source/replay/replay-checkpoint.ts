/**
 * The replay source's checkpoint: where it stands in its file, and what that position is valid for. A restarted
 * replay continues from it only for the very same file (path, size, modification time) read with the same settings.
 */
import {stat} from 'node:fs/promises'

/** Where a replay stands: the position after the last row it emitted (or rejected). */
export interface Position {
  /** Loop pass (0-based); `loop` when every pass is done. */
  pass: number
  /** Line number of the last row of this pass already consumed (0: none). */
  line: number
  /** Records emitted so far, all passes together (for `limit`). */
  produced: number
  /** Time shift of this pass, and the pass's first, second and last event times seen so far (ms). */
  shiftMs: number
  first?: number
  second?: number
  last?: number
}

/** The checkpoint: the position, plus what it is valid for (this very file and the config that reads it). */
export interface ReplayCheckpoint extends Position {
  file: {path: string; size: number; mtimeMs: number}
  reads: string
}

export const START: Position = {pass: 0, line: 0, produced: 0, shiftMs: 0}

export async function fileIdentity(path: string): Promise<ReplayCheckpoint['file']> {
  const info = await stat(path)
  return {path, size: info.size, mtimeMs: info.mtimeMs}
}

/** Why a checkpoint cannot be used for this file and config, or undefined when it can. */
export function unusable(state: unknown, file: ReplayCheckpoint['file'], reads: string): string | undefined {
  const checkpoint = state as Partial<ReplayCheckpoint> | undefined
  if (!checkpoint || typeof checkpoint !== 'object' || !checkpoint.file || typeof checkpoint.line !== 'number')
    return 'it is not a replay checkpoint'
  if (checkpoint.file.path !== file.path) return `it is for another file (${checkpoint.file.path})`
  if (checkpoint.file.size !== file.size || checkpoint.file.mtimeMs !== file.mtimeMs)
    return 'the file changed since (size or modification time)'
  if (checkpoint.reads !== reads) return 'the columns, symbol or currency settings changed since'
  return undefined
}
