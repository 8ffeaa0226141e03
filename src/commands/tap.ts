import {Args, Flags} from '@oclif/core'
import {loadPipeline} from '../api/pipelines.js'
import {EtlCommand, outputWritten} from '../cli/base-command.js'
import {metricsBase} from '../runtime/metrics/metrics-address.js'
import {runTap} from '../runtime/tap/tap-command.js'

export default class Tap extends EtlCommand {
  static override summary = 'Print the records leaving a step (or going to a sink) of a running pipeline, live.'
  static override description =
    "Read-only: the records come from the running pipeline's metrics endpoint (etl run --metrics), which passes on " +
    'what its process stage handles while a tap is connected; the tap reads no topic, joins no consumer group and ' +
    'moves no offset. --step 0 is what the process stage consumes, --step N what leaves its N-th transform (default: ' +
    'the last), --sink what a sink is given (after its where:). One JSON record per line on stdout; a tap that reads ' +
    'slower than records come misses some (counted on stderr) rather than slowing the pipeline.'
  static override examples = [
    '<%= config.bin %> tap pipelines/btc.yaml',
    '<%= config.bin %> tap pipelines/btc.yaml --step 1 --limit 10',
    '<%= config.bin %> tap pipelines/btc.yaml --sink csv --url http://127.0.0.1:9465',
  ]
  static override args = {
    file: Args.string({description: 'pipeline YAML file of the running pipeline', required: true}),
  }
  static override flags = {
    step: Flags.integer({description: 'after the Nth transform (0 = as consumed; default: the last)', min: 0}),
    sink: Flags.string({description: 'what the sink of this name (its name:, else its type) is given'}),
    limit: Flags.integer({description: 'stop after this many records', min: 1}),
    url: Flags.string({description: "the pipeline's metrics endpoint (default: the file's metrics: port and host)"}),
    meta: Flags.boolean({description: 'print {partition, key, record} instead of the record alone', default: false}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Tap)
    const pipeline = await loadPipeline(args.file)
    const stop = new AbortController()
    const onSignal = () => stop.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    const outcome = await runTap({
      pipeline,
      base: metricsBase(flags.url, pipeline.metrics),
      step: flags.step,
      sink: flags.sink,
      limit: flags.limit,
      meta: flags.meta,
      signal: stop.signal,
      write: (line) => process.stdout.write(line + '\n'),
    })
    const missed = outcome.dropped > 0 ? `; ${outcome.dropped} missed (came faster than they were read)` : ''
    process.stderr.write(`tapped ${outcome.records} record(s) at ${outcome.place}${missed}\n`)
    await outputWritten()
    process.exit(0)
  }
}
