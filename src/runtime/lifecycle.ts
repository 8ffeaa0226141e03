/**
 * Turns SIGINT/SIGTERM into an AbortSignal: the first asks every stage to stop cleanly (flush sinks, commit, disconnect),
 * a second one forces the exit for a user who does not want to wait.
 */
import type {Logger} from './logger.js'

export interface ShutdownHandle {
  signal: AbortSignal
  dispose(): void
}

export function shutdownOnSignals(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): ShutdownHandle {
  const controller = new AbortController()
  let firstAt = 0
  const onSignal = (name: NodeJS.Signals) => {
    // Ctrl-C under `npm start` reaches etl twice at once (from the terminal and forwarded by npm), and so does
    // `timeout`'s signal: only a second signal sent on purpose, a moment later, forces the exit.
    if (controller.signal.aborted && Date.now() - firstAt < 1000) return
    if (controller.signal.aborted) {
      logger.warn(`${name} again: exiting now without waiting for a clean stop`)
      exit(130)
      return
    }
    logger.info(`${name}: stopping — flushing sinks and committing offsets (send it again to force)`)
    firstAt = Date.now()
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}
