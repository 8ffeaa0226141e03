/**
 * Loads a pipeline file in three steps, before anything connects: parse (YAML with positions, limits, ${ENV}),
 * validate (the whole file against the pipeline schema, every stage against its plugin: check-stages.ts; every
 * problem collected and raised at once), then normalise (normalize-pipeline.ts) into the PipelineConfig the runtime
 * uses.
 */
import type {ValidateFunction} from 'ajv'
import {registerSecret} from '../logger.js'
import type {PluginRegistry} from '../plugin-registry.js'
import type {PluginKind} from '../plugin-types.js'
import {checkStage, checkStages, isRecord} from './check-stages.js'
import {interpolateEnv} from './interpolate-env.js'
import {
  normalizeChart,
  normalizePipeline,
  normalizeSink,
  normalizeSource,
  normalizeTransform,
  type StagePlugin,
} from './normalize-pipeline.js'
import type {PipelineConfig, StageConfig} from './pipeline-config.js'
import type {ChartEntry, PipelineDocument, SinkEntry, SourceEntry, TransformEntry} from './pipeline-document.js'
import {ENTRY_SCHEMAS, PIPELINE_SCHEMA} from './pipeline-schema.js'
import {schemaValidator} from './precompiled-validators.js'
import {ConfigError, type ConfigProblem} from './problems.js'
import {schemaProblems, sharedAjv} from './schema-problems.js'
import {parseYaml, readConfigFile, toData, type ParsedYaml} from './yaml-document.js'

// Its users import the config's types from here.
export type {ChartConfig, ChartDataSource, KafkaSettings, PipelineConfig, StageConfig} from './pipeline-config.js'

// Precompiled by the build, else compiled on first use: their type guards give a checked document its TypeScript type.
const pipelineValidator = () => schemaValidator<PipelineDocument>(PIPELINE_SCHEMA, sharedAjv)
const entryValidators = {
  source: () => schemaValidator<SourceEntry>(ENTRY_SCHEMAS.source, sharedAjv),
  transform: () => schemaValidator<TransformEntry>(ENTRY_SCHEMAS.transform, sharedAjv),
  sink: () => schemaValidator<SinkEntry>(ENTRY_SCHEMAS.sink, sharedAjv),
  chart: () => schemaValidator<ChartEntry>(ENTRY_SCHEMAS.chart, sharedAjv),
}
const SECRET_VARIABLE = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL/i

export interface LoadOptions {
  env?: NodeJS.ProcessEnv
  /** The plugins the file may name: the built-ins (the CLI's and the programmatic API's registry) and any others. */
  registry: PluginRegistry
}

export async function loadPipeline(file: string, options: LoadOptions): Promise<PipelineConfig> {
  const {parsed, data, problems} = await readPipelineData(file, options.env ?? process.env)
  const validate = pipelineValidator()
  const document = validate(data) ? data : undefined
  if (!document) problems.push(...schemaProblems(parsed, validate, data))
  const plugins = await checkStages(parsed, options.registry, data, problems)
  if (problems.length > 0 || !document) throw new ConfigError(file, withoutEchoes(problems))
  return normalizePipeline(document, plugins, {file, registry: options.registry})
}

/** The file parsed and interpolated, with the interpolation's problems; a file that is not a mapping stops here. */
async function readPipelineData(file: string, env: NodeJS.ProcessEnv) {
  const text = await readConfigFile(file, 'pipeline file')
  const parsed = parseYaml(file, text)
  if (parsed.problems.length > 0) throw new ConfigError(file, parsed.problems)
  const {problems, variablesUsed} = interpolateEnv(parsed, env)
  for (const name of variablesUsed) if (SECRET_VARIABLE.test(name)) registerSecret(env[name])
  const data = toData(parsed)
  if (!isRecord(data)) {
    const message = 'a pipeline file must be a mapping with sinks: (and usually source:)'
    const notAMapping: ConfigProblem = {file, line: 1, col: 1, path: '', message, code: 'ETL_CONFIG_INVALID'}
    throw new ConfigError(file, [...problems, notAMapping])
  }
  return {parsed, data, problems}
}

/**
 * One stage entry outside a pipeline file (an `etl test` file's steps): checked against the entry schema of its kind
 * and its plugin like a pipeline's entries, then normalised. Undefined when it has a problem, pushed to `problems`.
 */
export async function resolveStage(
  parsed: ParsedYaml,
  registry: PluginRegistry,
  kind: PluginKind,
  entry: unknown,
  path: (string | number)[],
  problems: ConfigProblem[],
): Promise<StageConfig | undefined> {
  if (!isRecord(entry)) return undefined // the enclosing file's schema reported it
  const validate: ValidateFunction = entryValidators[kind]()
  if (!validate(entry)) problems.push(...schemaProblems(parsed, validate, entry, path))
  const plugin = await checkStage(parsed, registry, kind, entry, path, problems)
  return plugin && normalizeEntry(kind, entry, plugin, path)
}

/** The entry normalised for its kind; its kind's validator runs again (same answer) to give the entry its type. */
function normalizeEntry(
  kind: PluginKind,
  entry: unknown,
  plugin: StagePlugin,
  path: (string | number)[],
): StageConfig | undefined {
  switch (kind) {
    case 'source':
      return entryValidators.source()(entry) ? normalizeSource(entry, plugin, path) : undefined
    case 'transform':
      return entryValidators.transform()(entry) ? normalizeTransform(entry, plugin, path) : undefined
    case 'sink':
      return entryValidators.sink()(entry) ? normalizeSink(entry, plugin, path) : undefined
    case 'chart':
      return entryValidators.chart()(entry) ? normalizeChart(entry, plugin, path) : undefined
  }
}

/** A field whose ${...} could not be resolved also fails its schema check; the first problem is the one to fix. */
function withoutEchoes(problems: ConfigProblem[]): ConfigProblem[] {
  const interpolationPaths = new Set(
    problems
      .filter((p) => p.message.startsWith('malformed ${') || p.code === 'ETL_CONFIG_ENV_MISSING')
      .map((p) => p.path),
  )
  return problems.filter(
    (p) =>
      !(interpolationPaths.has(p.path) && p.code === 'ETL_CONFIG_INVALID' && !p.message.startsWith('malformed ${')),
  )
}
