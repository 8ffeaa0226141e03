import {Args, Flags} from '@oclif/core'
import {loadPipeline} from '../api/pipelines.js'
import {EtlCommand} from '../cli/base-command.js'
import type {ChartConfig, PipelineConfig, StageConfig} from '../runtime/config/load-pipeline.js'
import {ConfigError} from '../runtime/config/problems.js'
import type {EtlError} from '../runtime/errors.js'
import {redact} from '../runtime/logger.js'

export default class Validate extends EtlCommand {
  static override summary = 'Check a pipeline file without connecting to anything.'
  static override description =
    'Parses the YAML, resolves ${ENV} references, loads third-party plugins and checks every field against the ' +
    "pipeline schema and each plugin's schema. Prints every problem as file:line:col  path  message; exits 2 when " +
    'there are any.'
  static override examples = [
    '<%= config.bin %> validate pipelines/btc.yaml',
    '<%= config.bin %> validate pipelines/btc.yaml --json',
  ]
  static override args = {file: Args.string({description: 'pipeline YAML file', required: true})}
  static override enableJsonFlag = true
  static override flags = {
    json: Flags.boolean({description: 'print the result as JSON (problems, or the resolved stages)'}),
  }

  /** The file as given on the command line, for the --json form of a failure. */
  private file = ''

  async run(): Promise<ValidJson> {
    const {args} = await this.parse(Validate)
    this.file = args.file
    const pipeline = await loadPipeline(args.file)
    this.log(`${args.file}: valid (${pipeline.name}: ${describePipeline(pipeline)})`)
    for (const warning of pipeline.warnings) process.stderr.write(redact(`warning: ${warning}\n`))
    return {valid: true, file: args.file, name: pipeline.name, kafka: pipeline.kafka, stages: stagesJson(pipeline)}
  }

  /** --json on an invalid file: every problem, as the text output lists them. */
  protected override errorJson(error: EtlError): unknown {
    const problems = error instanceof ConfigError ? error.problems : [{message: error.message, code: error.code}]
    return {valid: false, file: this.file, code: error.code, problems}
  }
}

interface ValidJson {
  valid: true
  file: string
  name: string
  kafka: PipelineConfig['kafka']
  stages: Record<string, unknown>[]
}

/** The one-line summary of a valid file: its source and how many stages of each kind. */
function describePipeline(pipeline: PipelineConfig): string {
  const types = pipeline.sources.map((source) => source.type)
  const source = types.length > 0 ? types.join(' + ') : `none (consumes ${pipeline.kafka.topic})`
  const {transforms, sinks, charts} = pipeline
  const stages = `${transforms.length} transform(s), ${sinks.length} sink(s), ${charts.length} chart(s)`
  return `${types.length > 1 ? 'sources' : 'source'} ${source}, ${stages}`
}

/** Every stage resolved: defaults applied, ${ENV} references replaced. */
function stagesJson(pipeline: PipelineConfig): Record<string, unknown>[] {
  const stages: StageConfig[] = [...pipeline.sources, ...pipeline.transforms, ...pipeline.sinks, ...pipeline.charts]
  return stages.map((stage) => ({
    kind: stage.kind,
    type: stage.type,
    name: stage.label,
    config: stage.config,
    ...(stage.kind === 'chart' ? {data: (stage as ChartConfig).data, everyMs: (stage as ChartConfig).everyMs} : {}),
  }))
}
