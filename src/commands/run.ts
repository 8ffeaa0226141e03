import {Args, Flags} from '@oclif/core'
import {loadPipeline} from '../api/pipelines.js'
import {runPipeline} from '../api/run.js'
import {EtlCommand, outputWritten} from '../cli/base-command.js'
import {parseDuration} from '../runtime/duration.js'
import {EtlError} from '../runtime/errors.js'
import {shutdownOnSignals} from '../runtime/lifecycle.js'
import {createLogger} from '../runtime/logger.js'
import {progressFor} from '../runtime/progress/progress-for.js'
import type {MetricsSettings} from '../runtime/metrics/pipeline-metrics.js'
import type {StageSelection} from '../runtime/run-pipeline.js'
import {formatCounters} from '../runtime/run-report.js'

export default class Run extends EtlCommand {
  static override summary = 'Run a pipeline: source → Kafka topic → transforms → sinks.'
  static override description =
    'Validates the file first (nothing connects if it is invalid). Both stages run in this process unless --stage ' +
    'picks one. With the default broker address and nothing listening there, the local broker is started for the run ' +
    'and stopped after it. Ctrl-C (or SIGTERM) stops cleanly: in-flight records are drained, sinks flushed, offsets ' +
    'committed, exit 0. A stop that outruns the grace period (shutdown.grace, --grace; default 30s) exits 1 with ' +
    'ETL_SHUTDOWN_TIMEOUT; a second Ctrl-C forces the exit (130). A restart continues from the committed offsets.'
  static override examples = [
    '<%= config.bin %> run pipelines/btc.yaml',
    '<%= config.bin %> run pipelines/btc-replay.yaml',
    '<%= config.bin %> run pipelines/btc.yaml --stage process --brokers kafka-1:9092,kafka-2:9092',
    '<%= config.bin %> run pipelines/btc.yaml --stage process --until-caught-up',
    '<%= config.bin %> run pipelines/btc.yaml --grace 2m',
    '<%= config.bin %> run pipelines/btc.yaml --metrics --metrics-port 9464',
    '<%= config.bin %> run pipelines/btc.yaml --quiet',
  ]
  static override args = {file: Args.string({description: 'pipeline YAML file', required: true})}
  static override flags = {
    stage: Flags.string({
      description: 'run only one stage (scale the process stage out by starting it several times)',
      options: ['all', 'source', 'process'],
      default: 'all',
    }),
    'until-caught-up': Flags.boolean({
      description:
        'process what the topic holds now, then stop (exit 0): each process stops once its partitions are ' +
        'committed up to the end offsets read at its start; with both stages, the source must end by itself',
      default: false,
    }),
    brokers: Flags.string({
      description: 'bootstrap brokers host:port[,host:port] (overrides the file and $KAFKA_BROKERS)',
    }),
    'local-broker': Flags.boolean({
      description: 'start the local broker when the default address has none',
      default: true,
      allowNo: true,
    }),
    serve: Flags.boolean({description: "serve a live page with the pipeline's charts while it runs"}),
    port: Flags.integer({description: 'port of the live page (0 = any free port)', default: 8780, min: 0, max: 65535}),
    metrics: Flags.boolean({
      description: 'serve Prometheus metrics, /healthz and /readyz while it runs (overrides metrics.enabled)',
      allowNo: true,
    }),
    'metrics-port': Flags.integer({
      description: 'port of the metrics endpoint (0 = any free port; default metrics.port, 9464)',
      min: 0,
      max: 65535,
    }),
    'metrics-host': Flags.string({
      description: 'address the metrics endpoint binds to (default metrics.host, 127.0.0.1)',
    }),
    quiet: Flags.boolean({
      description: 'no status line on a terminal, no periodic progress log line elsewhere',
      default: false,
    }),
    'progress-interval': Flags.string({
      description: 'how often the progress log line is written when stderr is not a terminal, e.g. 30s, 5m',
      default: '30s',
    }),
    grace: Flags.string({
      description: 'longest a clean stop may take after Ctrl-C/SIGTERM, e.g. 30s, 2m (overrides shutdown.grace)',
    }),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Run)
    const progress = progressFor({
      quiet: flags.quiet,
      terminal: process.stderr.isTTY ? process.stderr : undefined,
      intervalMs: durationFlag('--progress-interval', flags['progress-interval']),
    })
    const logger = createLogger('etl', {write: progress.write})
    const shutdown = shutdownOnSignals(logger)
    try {
      const pipeline = await loadPipeline(args.file)
      shutdown.setGrace(flags.grace === undefined ? pipeline.shutdown.graceMs : durationFlag('--grace', flags.grace))
      const summary = await runPipeline(pipeline, {
        stage: flags.stage as StageSelection,
        brokers: flags.brokers,
        untilCaughtUp: flags['until-caught-up'],
        localBroker: flags['local-broker'],
        servePort: flags.serve ? flags.port : undefined,
        // stdout carries data (the stdout sink); the address is a log line.
        onServing: (url) => logger.info(`live charts at ${url}`),
        metrics: metricsFlags(flags),
        onMetricsServing: (url) => logger.info(`metrics at ${url}`),
        logger,
        signal: shutdown.signal,
        progress: progress.progress,
      })
      process.stderr.write(formatCounters(summary.counters))
      await exitWhenWritten(0)
    } finally {
      shutdown.dispose()
    }
  }
}

/** Only the flags given: each overrides its field of the pipeline's `metrics:`. */
function metricsFlags(flags: {
  metrics?: boolean
  'metrics-port'?: number
  'metrics-host'?: string
}): Partial<MetricsSettings> {
  return {
    ...(flags.metrics === undefined ? {} : {enabled: flags.metrics}),
    ...(flags['metrics-port'] === undefined ? {} : {port: flags['metrics-port']}),
    ...(flags['metrics-host'] === undefined ? {} : {host: flags['metrics-host']}),
  }
}

function durationFlag(flag: string, value: string): number {
  try {
    return parseDuration(value)
  } catch (error) {
    throw new EtlError('ETL_CONFIG_INVALID', `${flag} ${value}: ${(error as Error).message}`, {exitCode: 2})
  }
}

/**
 * Ends the process once stdout and stderr are written. The run is over at this point; a socket kafkajs leaves open
 * after a broker restart (its heartbeat connection) must not keep `etl run` alive after the summary. (A failed run
 * ends through EtlCommand's catch, whose exit is immediate too.)
 */
async function exitWhenWritten(code: number): Promise<never> {
  await outputWritten()
  process.exit(code)
}
