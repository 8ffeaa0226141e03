/**
 * `etl` — the programmatic API: load, validate, test and run pipeline files from code, with the same results and
 * errors as the CLI, whose commands are built on these functions. Plugins import `etl/sdk`; their tests `etl/testing`.
 *
 *   import {loadPipeline, runPipeline, runPipelineTests, validatePipeline} from 'etl'
 */
export {
  createRegistry,
  loadPipeline,
  validatePipeline,
  type LoadPipelineOptions,
  type ValidationResult,
} from './api/pipelines.js'
export {runPipeline, type RunPipelineOptions, type RunResult} from './api/run.js'
export {runPipelineTests, type PipelineTestOptions} from './api/tests.js'

export {ConfigError, type ConfigProblem} from './runtime/config/problems.js'
export type {ChartConfig, KafkaSettings, PipelineConfig, StageConfig} from './runtime/config/load-pipeline.js'
export {ERROR_CODES, EtlError, isEtlError, type ErrorCode} from './runtime/errors.js'
export {PLUGIN_API_VERSION, SUPPORTED_PLUGIN_API_VERSIONS} from './runtime/plugin-types.js'
export {PluginRegistry} from './runtime/plugin-registry.js'
export type {RunOptions, RunSummary, StageSelection} from './runtime/run-pipeline.js'
export {Counters} from './runtime/counters.js'
export {formatCounters} from './runtime/run-report.js'
export {createLogger, type Logger, type LoggerOptions} from './runtime/logger.js'
export {formatTestRun, type CaseResult, type FileResult, type TestRun} from './runtime/pipeline-test/run-tests.js'
