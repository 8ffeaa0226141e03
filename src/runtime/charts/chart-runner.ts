/**
 * Drives a pipeline's charts: feeds each chart its rows (from the live record stream, or by tailing a CSV another
 * stage appends to) and re-renders it at most once per `every`, and only when rows arrived. A failed render is logged
 * with the chart's name and tried again at the next interval; it never stops the pipeline.
 */
import type {ChartConfig} from '../config/load-pipeline.js'
import type {Counters} from '../counters.js'
import {EtlError, messageOf} from '../errors.js'
import type {Logger} from '../logger.js'
import type {DashboardHub} from './dashboard/dashboard-hub.js'
import {createPluginContext, scopeOf} from '../plugin-context.js'
import type {ChartInstance, ChartRender, EtlRecord} from '../plugin-types.js'
import {callPlugin} from '../stages/call-plugin.js'
import {CsvTail} from './csv-tail.js'

export interface RenderedChart {
  chart: ChartConfig
  render: ChartRender
  instance: ChartInstance
}

export interface ChartRunnerInputs {
  charts: ChartConfig[]
  pipelineName: string
  pipelineDir: string
  stateRoot: string
  logger: Logger
  counters: Counters
  signal: AbortSignal
  /** Called after every successful render (the live page listens here). */
  onRender?: (rendered: RenderedChart) => void
  /** The live dashboard: it follows the rows of every chart whose plugin offers them (ChartInstance.live). */
  dashboard?: DashboardHub
}

/** How often a CSV-backed chart looks for new rows; renders are still throttled by the chart's `every`. */
const CSV_CHECK_MS = 1000

class RunningChart {
  dirty = false
  lastRenderAt = 0
  private rendering: Promise<void> = Promise.resolve()
  readonly tail: CsvTail | undefined

  constructor(
    readonly chart: ChartConfig,
    readonly instance: ChartInstance,
    private readonly inputs: ChartRunnerInputs,
  ) {
    if (chart.data.kind === 'csv') this.tail = new CsvTail(chart.data.path)
  }

  add(records: EtlRecord[]): void {
    if (records.length === 0) return
    this.instance.add(records)
    this.dirty = true
  }

  /** Reads rows appended to the chart's CSV since the last look. */
  async pull(): Promise<void> {
    if (!this.tail) return
    try {
      const {reset, rows, skipped} = await this.tail.read()
      if (reset) {
        this.instance.reset()
        this.dirty = true
        const file = this.chart.data.kind === 'csv' ? this.chart.data.path : ''
        this.inputs.logger.info(`chart ${this.chart.label}: ${file} was truncated or replaced; reading it again`)
      }
      if (skipped > 0) this.inputs.counters.add(scopeOf(this.chart), 'csv_lines_unreadable', skipped)
      this.add(rows)
    } catch (error) {
      this.inputs.logger.warn(`chart ${this.chart.label}: cannot read ${this.tail.path}: ${messageOf(error)}`)
    }
  }

  /** Renders if rows arrived; renders of one chart never overlap. */
  renderIfDirty(force = false): Promise<void> {
    this.rendering = this.rendering.then(async () => {
      if (!this.dirty) return
      if (!force && Date.now() - this.lastRenderAt < this.chart.everyMs) return
      this.dirty = false
      this.lastRenderAt = Date.now()
      const scope = scopeOf(this.chart)
      try {
        const render = await this.instance.render()
        this.inputs.counters.add(scope, 'rendered')
        this.inputs.counters.timed(scope, 'render', render.ms / 1000)
        this.inputs.logger.debug(
          `chart ${this.chart.label}: rendered ${render.renderedPoints}/${render.points} points ` +
            `in ${render.ms.toFixed(1)} ms`,
        )
        this.inputs.onRender?.({chart: this.chart, render, instance: this.instance})
      } catch (error) {
        this.inputs.counters.add(scope, 'render_failed')
        const code = error instanceof EtlError ? error.code : 'ETL_CHART_RENDER'
        this.inputs.logger.error(
          `${code} chart ${this.chart.label}: render failed (will retry at the next interval): ${messageOf(error)}`,
        )
        this.dirty = true
      }
    })
    return this.rendering
  }
}

export class ChartRunner {
  private timer: NodeJS.Timeout | undefined
  private ticking = false

  private constructor(private readonly running: RunningChart[]) {}

  static async start(inputs: ChartRunnerInputs): Promise<ChartRunner> {
    const running: RunningChart[] = []
    try {
      for (const chart of inputs.charts) {
        const context = createPluginContext({...inputs, stage: chart})
        const instance = await callPlugin(chart, 'chart', 'create', () =>
          chart.definition.create(chart.config, context),
        )
        running.push(new RunningChart(chart, instance as ChartInstance, inputs))
        attachToDashboard(inputs.dashboard, chart, instance as ChartInstance)
      }
    } catch (error) {
      await Promise.all(running.map((r) => r.instance.close().catch(() => undefined)))
      throw error
    }
    return new ChartRunner(running)
  }

  get charts(): ChartConfig[] {
    return this.running.map((r) => r.chart)
  }

  /** Records leaving the transforms (during `etl run`) for the charts whose data is `stream`. */
  feed(records: EtlRecord[]): void {
    for (const chart of this.running) if (chart.chart.data.kind === 'stream') chart.add(records)
  }

  /**
   * Reads every CSV and renders every chart that has new rows, now (`etl chart` without --watch, and the last render).
   */
  async renderNow(): Promise<void> {
    await Promise.all(
      this.running.map(async (chart) => {
        await chart.pull()
        await chart.renderIfDirty(true)
      }),
    )
  }

  /** Keeps charts current until stop(): CSVs are checked every second, renders throttled per chart. */
  watch(): void {
    const checkMs = Math.min(CSV_CHECK_MS, ...this.running.map((r) => r.chart.everyMs))
    this.timer = setInterval(() => void this.tick(), Math.max(checkMs, 50))
  }

  private async tick(): Promise<void> {
    if (this.ticking) return // a slow render or read: skip this beat rather than pile up
    this.ticking = true
    try {
      await Promise.all(
        this.running.map(async (chart) => {
          await chart.pull()
          await chart.renderIfDirty()
        }),
      )
    } finally {
      this.ticking = false
    }
  }

  /** Final render of whatever arrived since the last one, then closes the charts. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    await this.renderNow()
    await Promise.all(this.running.map((r) => r.instance.close().catch(() => undefined)))
  }
}

function attachToDashboard(hub: DashboardHub | undefined, chart: ChartConfig, instance: ChartInstance): void {
  const source = hub && instance.live?.()
  if (!source) return
  const title = chart.config.title
  hub.addChart(chart.label, typeof title === 'string' ? title : undefined, source)
}
