import {Args, Flags} from '@oclif/core'
import {loadPipeline} from '../api/pipelines.js'
import {EtlCommand, outputWritten} from '../cli/base-command.js'
import {parseDuration} from '../runtime/duration.js'
import {EtlError} from '../runtime/errors.js'
import {metricsBase} from '../runtime/metrics/metrics-address.js'
import {runTop} from '../runtime/top/top-session.js'

export default class Top extends EtlCommand {
  static override summary = 'A live view of a running pipeline, from its metrics endpoint (etl run --metrics).'
  static override description =
    'Scrapes /metrics and /readyz every second: records per second and totals per stage, plugin and outcome, lag ' +
    'per partition, dead letters by code, retries, the source buffer, Kafka and readiness, and the latest record ' +
    "per key leaving the pipeline's last step (from its tap). On a terminal the screen is redrawn in place; q or " +
    'Ctrl-C quits. Elsewhere it prints a plain screen every interval (--once: one). It reads the endpoint only: ' +
    'nothing touches Kafka.'
  static override examples = [
    '<%= config.bin %> top',
    '<%= config.bin %> top pipelines/btc.yaml',
    '<%= config.bin %> top --url http://127.0.0.1:9465 --once',
  ]
  static override args = {
    file: Args.string({description: 'pipeline YAML file (for its metrics: port and host; default 127.0.0.1:9464)'}),
  }
  static override flags = {
    url: Flags.string({description: 'the endpoint, e.g. http://127.0.0.1:9464 (overrides the file)'}),
    interval: Flags.string({description: 'time between screens, e.g. 1s, 500ms', default: '1s'}),
    once: Flags.boolean({description: 'print one plain screen and exit', default: false}),
    latest: Flags.boolean({
      description: "show the latest record per key from the pipeline's tap",
      default: true,
      allowNo: true,
    }),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Top)
    const settings = args.file === undefined ? undefined : (await loadPipeline(args.file)).metrics
    await runTop({
      base: metricsBase(flags.url, settings),
      intervalMs: intervalOf(flags.interval),
      once: flags.once,
      latest: flags.latest && !flags.once,
      output: process.stdout,
      input: process.stdin,
    })
    await outputWritten()
    process.exit(0)
  }
}

function intervalOf(value: string): number {
  try {
    return Math.max(100, parseDuration(value))
  } catch (error) {
    throw new EtlError('ETL_CONFIG_INVALID', `--interval ${value}: ${(error as Error).message}`, {exitCode: 2})
  }
}
