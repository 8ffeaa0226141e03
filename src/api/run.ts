/** Running a pipeline from code: what `etl run` does. */
import type {PipelineConfig} from '../runtime/config/load-pipeline.js'
import type {Counters} from '../runtime/counters.js'
import {createLogger} from '../runtime/logger.js'
import type {PluginRegistry} from '../runtime/plugin-registry.js'
import {runPipeline as runStages, type RunOptions, type RunSummary} from '../runtime/run-pipeline.js'
import {loadPipeline} from './pipelines.js'

export interface RunPipelineOptions extends Partial<RunOptions> {
  /** Used when `pipeline` is a file name. */
  env?: NodeJS.ProcessEnv
  registry?: PluginRegistry
}

export interface RunResult extends RunSummary {
  /** Every count of the run, as `etl run` prints them: `{"sink csv": {"written": 12}, …}`. */
  counts: Record<string, Record<string, number>>
}

/**
 * `etl run` as a function: loads the file (when given a name) and runs it until a finite source is done or `signal`
 * aborts (a poller runs until then), with the same defaults as the CLI: the local broker when nothing listens at the
 * default address, logs on stderr. Resolves with every count; rejects with the EtlError the CLI would print.
 */
export async function runPipeline(
  pipeline: string | PipelineConfig,
  options: RunPipelineOptions = {},
): Promise<RunResult> {
  const config = typeof pipeline === 'string' ? await loadPipeline(pipeline, options) : pipeline
  const summary = await runStages(config, {
    ...options,
    logger: options.logger ?? createLogger('etl'),
    signal: options.signal ?? new AbortController().signal,
  })
  return {...summary, counts: countsOf(summary.counters)}
}

function countsOf(counters: Counters): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {}
  for (const {scope, event, count} of counters.entries()) (counts[scope] ??= {})[event] = count
  return counts
}
