/**
 * Turns SIGINT/SIGTERM into an AbortSignal: the first asks every stage to stop cleanly (drain in-flight records, flush
 * sinks, commit, disconnect) within a grace period; a second one forces the exit for a user who does not want to wait.
 * When the clean stop outruns the grace period the process exits 1 with ETL_SHUTDOWN_TIMEOUT, naming the work still
 * pending. Nothing is lost by that: offsets are committed only after the sinks flushed, so a restart redoes the rest.
 */
import {renderError} from './cli-errors.js'
import {formatDuration} from './duration.js'
import {EtlError} from './errors.js'
import type {Logger} from './logger.js'

export const DEFAULT_GRACE_MS = 30_000
/** Exit code of a forced stop (second signal), as shells report a process ended by Ctrl-C. */
export const FORCED_EXIT_CODE = 130

export interface ShutdownOptions {
  /** Longest the clean stop may take once the first signal arrived (default 30 s); see also setGrace. */
  graceMs?: number
  /** Ends the process; default process.exit. */
  exit?: (code: number) => void
  /** Where the timeout error is written; default stderr. */
  writeError?: (text: string) => void
}

export interface ShutdownHandle {
  signal: AbortSignal
  /** Sets the grace period once the pipeline file is read (a signal may already have arrived: it counts from then). */
  setGrace(ms: number): void
  dispose(): void
}

/** Work in flight that a shutdown waits for, described as it is now ("sink csv: flush, attempt 2 of 5"). */
const pending = new Map<symbol, () => string>()

/**
 * Registers work a clean stop has to wait for; call the returned function when it is done. Only read when the grace
 * period is over, to tell the user what did not finish.
 */
export function trackPending(describe: string | (() => string)): () => void {
  const id = Symbol('pending')
  pending.set(id, typeof describe === 'string' ? () => describe : describe)
  return () => void pending.delete(id)
}

/** What is pending right now, one line each. */
export function pendingWork(): string[] {
  return [...pending.values()].map((describe) => describe())
}

export function shutdownOnSignals(logger: Logger, options: ShutdownOptions = {}): ShutdownHandle {
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const writeError = options.writeError ?? ((text: string) => void process.stderr.write(text + '\n'))
  const controller = new AbortController()
  let graceMs = options.graceMs ?? DEFAULT_GRACE_MS
  let firstAt = 0
  let timer: NodeJS.Timeout | undefined

  const graceOver = () => {
    const work = pendingWork()
    const what =
      work.length > 0 ? work.join('; ') : 'the Kafka client was still committing offsets or leaving its group'
    const error = new EtlError(
      'ETL_SHUTDOWN_TIMEOUT',
      `the pipeline did not stop within the ${formatDuration(graceMs)} grace period; still pending: ${what}. ` +
        'Exiting now: offsets of records not yet flushed were not committed, so a restart processes them again. ' +
        'Raise shutdown.grace in the pipeline file (or etl run --grace) if stopping needs longer.',
    )
    const {text, exitCode} = renderError(error)
    writeError(text)
    exit(exitCode)
  }
  const armTimer = () => {
    if (timer) clearTimeout(timer)
    // Not unref'd: a stop stuck on a promise nothing will settle must still end here, not as an empty event loop.
    timer = setTimeout(graceOver, Math.max(0, firstAt + graceMs - Date.now()))
  }

  const onSignal = (name: NodeJS.Signals) => {
    // Ctrl-C under `npm start` reaches etl twice at once (from the terminal and forwarded by npm), and so does
    // `timeout`'s signal: only a second signal sent on purpose, a moment later, forces the exit.
    if (controller.signal.aborted && Date.now() - firstAt < 1000) return
    if (controller.signal.aborted) {
      logger.warn(`${name} again: exiting now without waiting for a clean stop`)
      exit(FORCED_EXIT_CODE)
      return
    }
    logger.info(
      `${name}: stopping — flushing sinks and committing offsets, ` +
        `for at most ${formatDuration(graceMs)} (send it again to force)`,
    )
    firstAt = Date.now()
    armTimer()
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    setGrace(ms) {
      graceMs = ms
      if (timer) armTimer()
    },
    dispose() {
      if (timer) clearTimeout(timer)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}
