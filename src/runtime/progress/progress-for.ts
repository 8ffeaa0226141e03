/**
 * Which progress `etl run` shows: the status line when stderr is a terminal, the periodic log line when it is not,
 * none with --quiet. Decided before the logger exists, since on a terminal the logger writes through the status line.
 */
import {ProgressLog} from './progress-log.js'
import type {RunProgress} from './run-progress.js'
import {StatusLine} from './status-line.js'

export interface ProgressChoice {
  progress?: RunProgress
  /** The logger's write function when the status line needs log lines to pass through it. */
  write?: (line: string) => void
}

export function progressFor(options: {
  quiet: boolean
  terminal?: Pick<NodeJS.WriteStream, 'write' | 'columns'>
  intervalMs: number
}): ProgressChoice {
  if (options.quiet) return {}
  if (!options.terminal) return {progress: new ProgressLog(options.intervalMs)}
  const line = new StatusLine(options.terminal)
  return {progress: line, write: line.writeAbove}
}
