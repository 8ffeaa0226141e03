import {Args, Command, Flags} from '@oclif/core'
import {renderError} from '../runtime/cli-errors.js'
import {loadPipeline} from '../api/pipelines.js'
import type {ChartConfig} from '../runtime/config/load-pipeline.js'
import {ConfigError} from '../runtime/config/problems.js'
import {isEtlError} from '../runtime/errors.js'
import {redact} from '../runtime/logger.js'

export default class Validate extends Command {
  static override summary = 'Check a pipeline file without connecting to anything.'
  static override description =
    'Parses the YAML, resolves ${ENV} references, loads third-party plugins and checks every field against the pipeline ' +
    "schema and each plugin's schema. Prints every problem as file:line:col  path  message; exits 2 when there are any."
  static override examples = [
    '<%= config.bin %> validate pipelines/btc.yaml',
    '<%= config.bin %> validate pipelines/btc.yaml --json',
  ]
  static override args = {file: Args.string({description: 'pipeline YAML file', required: true})}
  static override flags = {
    json: Flags.boolean({description: 'print the result as JSON (problems, or the resolved stages)'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Validate)
    try {
      const pipeline = await loadPipeline(args.file)
      if (flags.json) {
        const stages = [
          ...(pipeline.source ? [pipeline.source] : []),
          ...pipeline.transforms,
          ...pipeline.sinks,
          ...pipeline.charts,
        ].map((s) => ({
          kind: s.kind,
          type: s.type,
          name: s.label,
          config: s.config,
          ...(s.kind === 'chart' ? {data: (s as ChartConfig).data, everyMs: (s as ChartConfig).everyMs} : {}),
        }))
        this.log(
          redact(
            JSON.stringify({valid: true, file: args.file, name: pipeline.name, kafka: pipeline.kafka, stages}, null, 2),
          ),
        )
      } else {
        this.log(
          `${args.file}: valid (${pipeline.name}: source ${pipeline.source?.type ?? 'none (consumes ' + pipeline.kafka.topic + ')'}, ${pipeline.transforms.length} transform(s), ${pipeline.sinks.length} sink(s), ${pipeline.charts.length} chart(s))`,
        )
      }
      for (const warning of pipeline.warnings) process.stderr.write(redact(`warning: ${warning}\n`))
    } catch (error) {
      if (flags.json && isEtlError(error)) {
        const problems = error instanceof ConfigError ? error.problems : [{message: error.message, code: error.code}]
        this.log(redact(JSON.stringify({valid: false, file: args.file, code: error.code, problems}, null, 2)))
        this.exit(error.exitCode)
      }
      const {text, exitCode} = renderError(error)
      process.stderr.write(text + '\n')
      this.exit(exitCode)
    }
  }
}
