/**
 * Loading and validating pipeline files from code: the functions `etl validate`, `etl run` and `etl plugins` use.
 */
import {extname} from 'node:path'
import {fileURLToPath} from 'node:url'
import BUILTIN_PLUGINS from '../plugins/builtin-plugins.js'
import {loadPipeline as loadWithRegistry, type PipelineConfig} from '../runtime/config/load-pipeline.js'
import {ConfigError, type ConfigProblem} from '../runtime/config/problems.js'
import {isEtlError, type EtlError} from '../runtime/errors.js'
import {PluginRegistry} from '../runtime/plugin-registry.js'

/** Same extension as this file: .js from dist/, .ts when run from src/ under tsx. */
const BUILTINS_MODULE = new URL(`../plugins/builtin-plugins${extname(fileURLToPath(import.meta.url))}`, import.meta.url)
  .href

/** A registry holding the built-in plugins; third-party ones are added by the `plugins:` of each pipeline file. */
export function createRegistry(): PluginRegistry {
  return new PluginRegistry({builtins: BUILTIN_PLUGINS, builtinsModule: BUILTINS_MODULE})
}

export interface LoadPipelineOptions {
  /** Environment for ${VAR} references (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Plugins the file may name (default: a fresh registry of the built-ins). */
  registry?: PluginRegistry
}

/**
 * Reads, interpolates and validates a pipeline file; resolves the typed, defaulted config. Throws a ConfigError
 * (code ETL_CONFIG_INVALID, or ETL_CONFIG_LIMIT / ETL_CONFIG_ENCODING; exitCode 2) listing every problem with
 * file:line:col, or an EtlError when the file cannot be read.
 */
export function loadPipeline(file: string, options: LoadPipelineOptions = {}): Promise<PipelineConfig> {
  return loadWithRegistry(file, {env: options.env, registry: options.registry ?? createRegistry()})
}

export type ValidationResult =
  | {valid: true; pipeline: PipelineConfig; warnings: string[]}
  | {valid: false; code: string; problems: ConfigProblem[]; error: EtlError}

/** `etl validate` as a function: never throws for a bad file, reports its problems instead. */
export async function validatePipeline(file: string, options: LoadPipelineOptions = {}): Promise<ValidationResult> {
  try {
    const pipeline = await loadPipeline(file, options)
    return {valid: true, pipeline, warnings: pipeline.warnings}
  } catch (error) {
    if (!isEtlError(error)) throw error
    const problems = error instanceof ConfigError ? error.problems : []
    return {valid: false, code: error.code, problems, error}
  }
}
