import {Args, Flags} from '@oclif/core'
import {runPipelineTests} from '../api/tests.js'
import {EtlCommand, written} from '../cli/base-command.js'
import {EtlError} from '../runtime/errors.js'
import {redact} from '../runtime/logger.js'
import {formatTestRun} from '../runtime/pipeline-test/run-tests.js'

export default class Test extends EtlCommand {
  static override summary = 'Run pipeline tests (*.test.yaml): input records in, expected outputs and dead letters out.'
  static override description =
    'Runs each test of each file through the same transform code as `etl run` — one chain per partition, event-time ' +
    'windows closed by the watermark, records a transform rejects sent to the dead letters — without Kafka and ' +
    'without writing to sinks. Prints a diff, record by record and field by field, for every test that fails. Exits ' +
    '1 when a test fails, 2 when a test or pipeline file is invalid (each problem as file:line:col). Without ' +
    'arguments, runs every *.test.yaml under the current folder. File format: docs/TESTING.md.'
  static override examples = [
    '<%= config.bin %> test',
    '<%= config.bin %> test pipelines/btc.test.yaml',
    '<%= config.bin %> test pipelines/',
  ]
  static override strict = false
  static override args = {files: Args.string({description: 'test files or folders (default: every *.test.yaml here)'})}
  static override flags = {quiet: Flags.boolean({char: 'q', description: 'print only failing tests and the summary'})}

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Test)
    const run = await runPipelineTests(argv as string[])
    // The report of a failing run must be complete before the process exits.
    await written(process.stdout, redact(formatTestRun(run, {quiet: flags.quiet})))
    if (run.failed > 0) {
      const total = run.failed + run.passed
      throw new EtlError('ETL_TEST_FAILED', `${run.failed} of ${total} pipeline test(s) failed`)
    }
  }
}
