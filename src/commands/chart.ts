import {Args, Flags} from '@oclif/core'
import type {PipelineConfig} from '../runtime/config/load-pipeline.js'
import {runCharts, serveChartSite, type RunChartsOptions} from '../runtime/charts/run-charts.js'
import {loadPipeline} from '../api/pipelines.js'
import {EtlCommand} from '../cli/base-command.js'
import {shutdownOnSignals} from '../runtime/lifecycle.js'
import {createLogger} from '../runtime/logger.js'

export default class Chart extends EtlCommand {
  static override summary = "Render a pipeline's charts to PNG and SVG from their CSV data; --watch keeps them current."
  static override description =
    "Renders every chart in the file's charts: section whose data is a CSV (e.g. the csv sink's output), once, and " +
    "exits. With --watch it re-renders a chart whenever its CSV grows (at most once per the chart's `every`) until " +
    'Ctrl-C. --serve also serves the live dashboard: the charts drawn in the browser from their rows as they ' +
    'arrive, with hover values, zoom and range presets, a card per series and the alerts panel. Several files are ' +
    "rendered in turn; with --serve one server shows each pipeline's pages at /<pipeline name>/ and lists them at /."
  static override examples = [
    '<%= config.bin %> chart pipelines/btc-replay.yaml',
    '<%= config.bin %> chart pipelines/btc.yaml --watch',
    '<%= config.bin %> chart pipelines/btc.yaml --serve --port 8780',
    '<%= config.bin %> chart pipelines/btc.yaml pipelines/btc-trades.yaml --serve',
  ]
  static override strict = false
  static override args = {
    files: Args.string({description: 'pipeline YAML file(s) (default pipelines/btc.yaml)'}),
  }
  static override flags = {
    watch: Flags.boolean({char: 'w', description: 're-render whenever the data changes, until Ctrl-C'}),
    serve: Flags.boolean({description: 'serve a live page with the charts (implies --watch)'}),
    port: Flags.integer({description: 'port of the live page (0 = any free port)', default: 8780, min: 0, max: 65535}),
    host: Flags.string({description: 'address the live page listens on', default: '127.0.0.1'}),
    chart: Flags.string({description: 'render only this chart (repeatable)', multiple: true}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Chart)
    const files = argv.length > 0 ? (argv as string[]) : ['pipelines/btc.yaml']
    const logger = createLogger('etl')
    const shutdown = shutdownOnSignals(logger)
    try {
      const pipelines: PipelineConfig[] = []
      for (const file of files) pipelines.push(await loadPipeline(file))
      for (const warning of pipelines.flatMap((pipeline) => pipeline.warnings)) logger.warn(warning)
      const options: RunChartsOptions = {
        only: flags.chart,
        watch: flags.watch,
        host: flags.host,
        logger,
        signal: shutdown.signal,
        onServing: (url) => process.stdout.write(`live charts at ${url}\n`),
      }
      if (pipelines.length === 1) {
        await runCharts(pipelines[0]!, {...options, servePort: flags.serve ? flags.port : undefined})
      } else if (!flags.serve) {
        for (const pipeline of pipelines) await runCharts(pipeline, options)
      } else {
        await servePipelines(pipelines, flags.port, options)
      }
    } finally {
      shutdown.dispose()
    }
  }
}

/** Several pipelines' charts on one site, each at /<name>/, until Ctrl-C. */
async function servePipelines(pipelines: PipelineConfig[], port: number, options: RunChartsOptions): Promise<void> {
  const site = await serveChartSite(port, options.host, pipelines, options.logger)
  for (const [name, pages] of site.pipelines) process.stdout.write(`live charts of ${name} at ${pages.url}\n`)
  options.onServing?.(site.url)
  try {
    await Promise.all(
      pipelines.map((pipeline) => runCharts(pipeline, {...options, server: site.pipelines.get(pipeline.name)})),
    )
  } finally {
    await site.close()
  }
}
