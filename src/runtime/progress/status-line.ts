/**
 * `etl run` on a terminal: one line at the bottom, redrawn in place every second, with the run's rate, lag, dead
 * letters and last record time. The run's logger writes through writeAbove, which wipes the line, prints the log line
 * and draws the line again, so the two never garble each other. The line is cut to the terminal's width: a line that
 * wrapped could not be wiped with one carriage return.
 */
import {LagReading} from './lag-reading.js'
import {statusText} from './progress-format.js'
import {ProgressTally} from './progress-tally.js'
import type {ProgressInputs, RunProgress} from './run-progress.js'

/** Wipes the cursor's line and returns to its start (ANSI: carriage return, erase line). */
const WIPE = '\r\u001b[2K'

export class StatusLine implements RunProgress {
  private line = ''
  private timer: NodeJS.Timeout | undefined
  private render: (() => string) | undefined

  constructor(
    private readonly out: Pick<NodeJS.WriteStream, 'write' | 'columns'>,
    private readonly everyMs = 1000,
  ) {}

  /** The logger's write function: the log line goes above the status line. */
  readonly writeAbove = (text: string): void => {
    this.out.write(this.line ? `${WIPE}${text}\n${this.line}` : `${text}\n`)
  }

  start(inputs: ProgressInputs): void {
    const tally = new ProgressTally()
    const lag = new LagReading(inputs.lag)
    inputs.counters.observe(tally)
    this.render = () => statusText(inputs.pipelineName, tally.read(), lag.latest(), Date.now())
    this.draw()
    this.timer = setInterval(() => this.draw(), this.everyMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.render = undefined
    if (this.line) this.out.write(WIPE)
    this.line = ''
  }

  private draw(): void {
    if (!this.render) return
    const width = Math.max(20, (this.out.columns || 80) - 1)
    const text = this.render()
    this.line = text.length > width ? `${text.slice(0, width - 1)}…` : text
    this.out.write(`${WIPE}${this.line}`)
  }
}
