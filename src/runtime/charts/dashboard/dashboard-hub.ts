/**
 * The live dashboard's data: one RowFeed per chart (the rows its plugin takes in, as the browser draws them) and one
 * for the alerts, and the pages that follow them over Server-Sent Events. A page gets a snapshot first, then each
 * batch of rows as a `rows` event, and resumes from its Last-Event-ID after a reconnect.
 */
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {Logger} from '../../logger.js'
import type {EtlRecord, LiveChartSource} from '../../plugin-types.js'
import {DashboardClient} from './dashboard-client.js'
import {parsePositions} from './event-position.js'
import {RowFeed, type Catchup, type Row} from './row-feed.js'

/** Rows kept per chart for pages that connect or reconnect (and for /api/series). */
export const ROWS_PER_CHART = 50_000
export const ALERTS_KEPT = 500
/** Feed index of the alerts; the charts follow in the pipeline's order. */
const ALERTS = 0

export interface DashboardChart {
  name: string
  title?: string
  source: LiveChartSource
  feed: RowFeed
  index: number
}

export class DashboardHub {
  private readonly charts = new Map<string, DashboardChart>()
  private readonly alerts = new RowFeed(ALERTS_KEPT)
  private readonly clients = new Set<DashboardClient>()

  constructor(private readonly logger: Logger) {}

  /** Starts following a chart's rows (called once per chart, in the pipeline's order). */
  addChart(name: string, title: string | undefined, source: LiveChartSource): void {
    const chart: DashboardChart = {name, title, source, feed: new RowFeed(ROWS_PER_CHART), index: this.charts.size + 1}
    this.charts.set(name, chart)
    source.follow({
      rows: (rows) => this.publish(chart.index, chart.feed, () => chart.feed.append(rows)),
      reset: () => this.publish(chart.index, chart.feed, () => chart.feed.reset()),
    })
  }

  chart(name: string): DashboardChart | undefined {
    return this.charts.get(name)
  }

  chartList(): DashboardChart[] {
    return [...this.charts.values()]
  }

  alertRows(): Row[] {
    return this.alerts.all()
  }

  /** Alert records (record_type "alert") among records leaving the transforms. */
  feedRecords(records: readonly EtlRecord[]): void {
    const alerts = records.filter((record) => record.record_type === 'alert')
    if (alerts.length > 0) this.addAlerts(alerts)
  }

  addAlerts(rows: readonly Row[]): void {
    this.publish(ALERTS, this.alerts, () => this.alerts.append(rows))
  }

  resetAlerts(): void {
    this.publish(ALERTS, this.alerts, () => this.alerts.reset())
  }

  /** A page's event stream: what it has not seen yet of every feed, then each change as it comes. */
  connect(req: IncomingMessage, res: ServerResponse, last?: string): void {
    req.socket.setNoDelay(true)
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    })
    const client = new DashboardClient(res, parsePositions(req.headers['last-event-id']) ?? parsePositions(last) ?? [])
    // retry: a page reconnects within 1 s when etl is restarted, instead of the browser's default back-off.
    client.write('retry: 1000\n\n')
    this.catchUp(client, ALERTS, this.alerts)
    for (const chart of this.charts.values()) this.catchUp(client, chart.index, chart.feed)
    client.write('event: ready\ndata: {}\n\n')
    this.clients.add(client)
    res.on('close', () => this.clients.delete(client))
  }

  heartbeat(): void {
    for (const client of this.clients) client.write(': heartbeat\n\n')
  }

  endAll(): void {
    for (const client of this.clients) client.res.end()
    this.clients.clear()
  }

  /** Applies a change to a feed, then sends every page what it has not seen of that feed. */
  private publish(index: number, feed: RowFeed, change: () => void): void {
    change()
    for (const client of this.clients) this.catchUp(client, index, feed)
  }

  private catchUp(client: DashboardClient, index: number, feed: RowFeed): void {
    const seen = client.positionOf(index)
    if (seen === feed.latest && seen >= 0) return
    const catchup: Catchup = feed.after(seen)
    if (catchup.kind === 'rows' && catchup.rows.length === 0 && seen >= 0) return
    const reset = catchup.kind === 'reset'
    const chart = index === ALERTS ? undefined : this.chartAt(index)
    const ok =
      chart === undefined
        ? client.send('alerts', {reset, rows: catchup.rows}, index, feed.latest)
        : client.send('rows', {chart, reset, rows: catchup.rows}, index, feed.latest)
    if (!ok) {
      this.logger.warn('live dashboard page is not reading its updates; dropping it (it will reconnect)')
      this.clients.delete(client)
    }
  }

  private chartAt(index: number): string | undefined {
    for (const chart of this.charts.values()) if (chart.index === index) return chart.name
    return undefined
  }
}
