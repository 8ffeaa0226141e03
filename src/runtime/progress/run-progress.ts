/**
 * What `etl run` shows while it runs, besides its log: a status line kept up to date on a terminal (status-line.ts),
 * a periodic `progress` log line elsewhere (progress-log.ts), nothing with --quiet. Both hear of the run through its
 * Counters, as the metrics do, so the stages know nothing of them; the runtime starts one when the stages start and
 * stops it before the summary is printed.
 */
import type {Counters} from '../counters.js'
import type {Logger} from '../logger.js'

export interface ProgressInputs {
  pipelineName: string
  counters: Counters
  logger: Logger
  /** The consumer group's total lag, read from Kafka (absent when this process runs no process stage). */
  lag?: () => Promise<number | undefined>
}

export interface RunProgress {
  start(inputs: ProgressInputs): void
  /** Stops updating and leaves the terminal as it was before the first update. */
  stop(): void
}
