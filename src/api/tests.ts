/** Pipeline tests from code: what `etl test` does. */
import {findTestFiles, runTestFiles, type TestRun} from '../runtime/pipeline-test/run-tests.js'
import {createRegistry} from './pipelines.js'

export interface PipelineTestOptions {
  /** Environment for the pipelines' ${VAR} references (a test file's env: goes over it). Default process.env. */
  env?: NodeJS.ProcessEnv
  /** Where relative paths start and where tests are looked for when none are named. Default process.cwd(). */
  cwd?: string
}

/**
 * `etl test` as a function: runs the pipeline tests in `paths` (files, or folders searched for *.test.yaml; none:
 * the working directory) without Kafka. Resolves with every result (failures with their diff); rejects with a
 * ConfigError (exit code 2) for an invalid test or pipeline file.
 */
export function runPipelineTests(paths: string[] = [], options: PipelineTestOptions = {}): Promise<TestRun> {
  const cwd = options.cwd ?? process.cwd()
  return runTestFiles(findTestFiles(paths, cwd), {registry: createRegistry, env: options.env, cwd})
}
