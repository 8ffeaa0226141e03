/**
 * Feeds the dashboard's alerts panel from a CSV that a sink keeps appending alert records to (`dashboard.alerts:
 * {csv: …}`), checked every second like the charts' CSVs. A truncated or replaced file empties the panel first.
 */
import type {Logger} from '../../logger.js'
import {messageOf} from '../../errors.js'
import {CsvTail} from '../csv-tail.js'
import type {DashboardHub} from './dashboard-hub.js'

const CHECK_MS = 1000

export class AlertTail {
  private readonly tail: CsvTail
  private timer: NodeJS.Timeout | undefined
  private reading: Promise<void> = Promise.resolve()
  private warned = false

  constructor(
    path: string,
    private readonly hub: DashboardHub,
    private readonly logger: Logger,
  ) {
    this.tail = new CsvTail(path)
  }

  start(): void {
    this.reading = this.read()
    this.timer = setInterval(() => {
      this.reading = this.reading.then(() => this.read())
    }, CHECK_MS)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    await this.reading
  }

  private async read(): Promise<void> {
    try {
      const {reset, rows} = await this.tail.read()
      if (reset) this.hub.resetAlerts()
      if (rows.length > 0) this.hub.addAlerts(rows)
      this.warned = false
    } catch (error) {
      if (!this.warned)
        this.logger.warn(`live dashboard: cannot read alerts from ${this.tail.path}: ${messageOf(error)}`)
      this.warned = true
    }
  }
}
