/**
 * `etl chart`: renders a pipeline's CSV-backed charts without running the pipeline — once, or (watch) again whenever
 * their CSV grows, optionally serving a live page. Charts fed by the live stream exist only inside `etl run`.
 */
import type {ChartConfig, PipelineConfig} from '../config/load-pipeline.js'
import {Counters} from '../counters.js'
import {EtlError} from '../errors.js'
import type {Logger} from '../logger.js'
import {stateDir} from '../paths.js'
import {ChartRunner, type RenderedChart} from './chart-runner.js'
import {startChartServer, startChartSite, type ChartServer, type ChartSite, type ChartUpdate} from './chart-server.js'

export interface RunChartsOptions {
  /** Chart names to render (default: every CSV-backed chart). */
  only?: string[]
  watch?: boolean
  /** Serve the live page on this port (implies watch); 0 picks a free port. */
  servePort?: number
  /** Publish to these pages, of a site serving several pipelines (implies watch; the caller closes it). */
  server?: ChartServer
  host?: string
  logger: Logger
  signal: AbortSignal
  stateRoot?: string
  /** Called once the live page listens (the command prints its URL). */
  onServing?: (url: string) => void
}

export interface RunChartsResult {
  counters: Counters
  rendered: RenderedChart[]
}

export function selectCharts(pipeline: PipelineConfig, only: string[] | undefined, logger: Logger): ChartConfig[] {
  const unknown = (only ?? []).filter((name) => !pipeline.charts.some((chart) => chart.label === name))
  if (unknown.length > 0) {
    const names = pipeline.charts.map((chart) => chart.label).join(', ') || 'none'
    throw new EtlError(
      'ETL_CONFIG_INVALID',
      `no chart named ${unknown.join(', ')} in ${pipeline.file} (charts: ${names})`,
      {exitCode: 2},
    )
  }
  const wanted = pipeline.charts.filter((chart) => !only || only.length === 0 || only.includes(chart.label))
  for (const chart of wanted.filter((c) => c.data.kind === 'stream')) {
    logger.warn(`chart ${chart.label} is fed by the live stream: it is rendered by \`etl run\`, not by \`etl chart\``)
  }
  const fromCsv = wanted.filter((chart) => chart.data.kind === 'csv')
  if (fromCsv.length === 0) {
    throw new EtlError('ETL_CONFIG_INVALID', `${pipeline.file} has no chart with data: {csv: …} to render`, {
      exitCode: 2,
    })
  }
  return fromCsv
}

export async function runCharts(pipeline: PipelineConfig, options: RunChartsOptions): Promise<RunChartsResult> {
  const {logger, signal} = options
  const charts = selectCharts(pipeline, options.only, logger)
  const counters = new Counters()
  const rendered: RenderedChart[] = []
  let server = options.server
  const ownServer = server === undefined && options.servePort !== undefined
  if (ownServer) {
    server = await serveCharts(options.servePort!, options.host, pipeline, logger)
    options.onServing?.(server.url)
  }
  const runner = await ChartRunner.start({
    charts,
    pipelineName: pipeline.name,
    pipelineDir: pipeline.dir,
    stateRoot: options.stateRoot ?? stateDir(),
    logger,
    counters,
    signal,
    dashboard: server?.dashboard,
    onRender(result) {
      rendered.push(result)
      logger.info(`chart ${result.chart.label}: ${describe(result)}`)
      server?.publish(toChartUpdate(result))
      if (rendered.length > charts.length * 4) rendered.splice(0, rendered.length - charts.length)
    },
  })
  try {
    await runner.renderNow()
    if (options.watch || server) {
      runner.watch()
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve()
        else signal.addEventListener('abort', () => resolve(), {once: true})
      })
    }
  } finally {
    await runner.stop()
    if (ownServer) await server?.close()
  }
  const failed = counters.entries().filter((entry) => entry.event === 'render_failed')
  if (!options.watch && !server && failed.length > 0) {
    throw new EtlError(
      'ETL_CHART_RENDER',
      `${failed.map((f) => f.scope.replace(/^chart /, '')).join(', ')} could not be rendered (see the log above)`,
    )
  }
  return {counters, rendered}
}

/** What the live page shows of one render. */
export function toChartUpdate(result: RenderedChart): ChartUpdate {
  const title = result.chart.config.title
  return {
    chart: result.chart.label,
    ...(typeof title === 'string' ? {title} : {}),
    svg: result.render.svg,
    summary: result.instance.summary(),
    renderedAt: new Date().toISOString(),
    points: result.render.points,
    renderedPoints: result.render.renderedPoints,
  }
}

/** One site for several pipelines' pages (`etl chart a.yaml b.yaml --serve`), each at `/<name>/`. */
export async function serveChartSite(
  port: number,
  host: string | undefined,
  pipelines: Pick<PipelineConfig, 'name' | 'description' | 'dashboard'>[],
  logger: Logger,
): Promise<ChartSite> {
  const names = pipelines.map((pipeline) => pipeline.name)
  const twice = names.find((name, i) => names.indexOf(name) !== i)
  if (twice !== undefined) {
    throw new EtlError(
      'ETL_CONFIG_INVALID',
      `two of the pipelines are named "${twice}"; each needs its own name: (it is the path of its pages)`,
      {exitCode: 2},
    )
  }
  const entries = pipelines.map((pipeline) => ({
    name: pipeline.name,
    ...(pipeline.description === undefined ? {} : {description: pipeline.description}),
    ...(alertsCsvOf(pipeline) === undefined ? {} : {alertsCsv: alertsCsvOf(pipeline)}),
  }))
  try {
    return await startChartSite({port, host, logger, pipelines: entries})
  } catch (error) {
    throw new EtlError('ETL_CHART_RENDER', `cannot serve the live page: ${(error as Error).message}`, {cause: error})
  }
}

function alertsCsvOf(pipeline: Pick<PipelineConfig, 'dashboard'>): string | undefined {
  const alerts = pipeline.dashboard.alerts
  return alerts?.kind === 'csv' ? alerts.path : undefined
}

export async function serveCharts(
  port: number,
  host: string | undefined,
  pipeline: Pick<PipelineConfig, 'name' | 'dashboard'>,
  logger: Logger,
): Promise<ChartServer> {
  try {
    return await startChartServer({port, host, logger, title: pipeline.name, alertsCsv: alertsCsvOf(pipeline)})
  } catch (error) {
    throw new EtlError('ETL_CHART_RENDER', `cannot serve the live page: ${(error as Error).message}`, {cause: error})
  }
}

function describe({render}: RenderedChart): string {
  const drawn =
    render.renderedPoints === render.points
      ? `${render.points} points`
      : `${render.points} points drawn as ${render.renderedPoints}`
  return `${drawn} in ${render.ms.toFixed(0)} ms → ${render.outputs.join(', ')}`
}
