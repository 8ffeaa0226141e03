import {Args, Flags} from '@oclif/core'
import {runCharts} from '../runtime/charts/run-charts.js'
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
    'arrive, with hover values, zoom and range presets, a card per series and the alerts panel.'
  static override examples = [
    '<%= config.bin %> chart pipelines/btc-replay.yaml',
    '<%= config.bin %> chart pipelines/btc.yaml --watch',
    '<%= config.bin %> chart pipelines/btc.yaml --serve --port 8780',
  ]
  static override args = {file: Args.string({description: 'pipeline YAML file', default: 'pipelines/btc.yaml'})}
  static override flags = {
    watch: Flags.boolean({char: 'w', description: 're-render whenever the data changes, until Ctrl-C'}),
    serve: Flags.boolean({description: 'serve a live page with the charts (implies --watch)'}),
    port: Flags.integer({description: 'port of the live page (0 = any free port)', default: 8780, min: 0, max: 65535}),
    host: Flags.string({description: 'address the live page listens on', default: '127.0.0.1'}),
    chart: Flags.string({description: 'render only this chart (repeatable)', multiple: true}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Chart)
    const logger = createLogger('etl')
    const shutdown = shutdownOnSignals(logger)
    try {
      const pipeline = await loadPipeline(args.file)
      for (const warning of pipeline.warnings) logger.warn(warning)
      await runCharts(pipeline, {
        only: flags.chart,
        watch: flags.watch,
        servePort: flags.serve ? flags.port : undefined,
        host: flags.host,
        logger,
        signal: shutdown.signal,
        onServing: (url) => process.stdout.write(`live charts at ${url}\n`),
      })
    } finally {
      shutdown.dispose()
    }
  }
}
