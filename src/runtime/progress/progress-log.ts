/**
 * `etl run` off a terminal (a service, a pipe, CI): every so often one `progress` log line with the figures a status
 * line would show, as fields, so it is a JSON object under ETL_LOG_FORMAT=json. Rare by default (30 s): a log is
 * read later, and a line a second would bury everything else.
 */
import {progressFields} from './progress-format.js'
import {ProgressTally} from './progress-tally.js'
import type {ProgressInputs, RunProgress} from './run-progress.js'

export const DEFAULT_PROGRESS_INTERVAL_MS = 30_000

export class ProgressLog implements RunProgress {
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(private readonly everyMs = DEFAULT_PROGRESS_INTERVAL_MS) {}

  start(inputs: ProgressInputs): void {
    const tally = new ProgressTally()
    inputs.counters.observe(tally)
    tally.read()
    this.timer = setInterval(() => void this.report(inputs, tally), this.everyMs)
    this.timer.unref()
  }

  stop(): void {
    this.stopped = true
    clearInterval(this.timer)
  }

  /** One line; the lag is read for it (within 2 s: totalLag's time-out) and left out when Kafka does not answer. */
  private async report(inputs: ProgressInputs, tally: ProgressTally): Promise<void> {
    const figures = tally.read()
    const lag = await inputs.lag?.().catch(() => undefined)
    if (!this.stopped) inputs.logger.info('progress', progressFields(figures, lag))
  }
}
