/**
 * Reads, interpolates and validates a pipeline file — the whole file against the pipeline schema and every stage
 * against its plugin's own schema — before anything connects. Every problem is collected and raised at once.
 */
import {basename, dirname, extname, resolve} from 'node:path'
import type {ValidateFunction} from 'ajv'
import {parseDuration, type Duration} from '../duration.js'
import {compileExpression, validateExpression, type CompiledExpression} from '../expression/expression.js'
import {EtlError, messageOf} from '../errors.js'
import {registerSecret} from '../logger.js'
import {defaultRetryPolicy, retryPolicyFrom, type RetryConfig, type RetryPolicy} from '../retry.js'
import {loadPluginModule} from '../plugin-loader.js'
import type {PluginRegistry} from '../plugin-registry.js'
import type {AnyPluginDefinition, ConfigIssue, PluginKind} from '../plugin-types.js'
import {sourceStateTopicOf} from '../state/source-state-store.js'
import {interpolateEnv} from './interpolate-env.js'
import {PIPELINE_SCHEMA} from './pipeline-schema.js'
import {ConfigError, formatPath, type ConfigProblem} from './problems.js'
import {closest, createAjv, schemaProblems} from './schema-problems.js'
import {locate, parseYaml, readConfigFile, toData, type ParsedYaml} from './yaml-document.js'

export interface StageConfig {
  kind: PluginKind
  type: string
  /** Label for logs: the entry's `name`, else its type. */
  label: string
  definition: AnyPluginDefinition
  /** The plugin's config with schema defaults filled in. */
  config: Record<string, unknown>
  /** Where the entry sits in the file, e.g. ['sinks', 0]. */
  path: (string | number)[]
  /** Sinks only: the records this sink receives (its `where:`); absent = all. */
  where?: CompiledExpression
  /** The entry's runtime `retry:` key with the kind's defaults filled in (sources and sinks; others get the defaults). */
  retry?: RetryPolicy
  /** The source's runtime `worker:` key when true or false (source-worker.ts); undefined for `auto`. Sources only. */
  worker?: boolean
}

export type ChartDataSource = {kind: 'stream'} | {kind: 'csv'; path: string}

export interface ChartConfig extends StageConfig {
  data: ChartDataSource
  /** Minimum time between renders, in milliseconds. */
  everyMs: number
}

export interface KafkaSettings {
  /** Only when the file sets them; the runtime decides the fallback (env, local broker). */
  brokers?: string[]
  topic: string
  partitions: number
  replicationFactor: number
  clientId: string
  groupId: string
  fromBeginning: boolean
  deadLetterTopic: string
  /** Compacted topic of the sources' checkpoints (default <groupId>.source-state). */
  sourceStateTopic: string
  /** The source stage's buffer while Kafka does not take records. */
  producerBuffer: {maxRecords: number; whenFull: 'block' | 'drop-oldest'}
  /** Which Kafka client library the runtime talks through (see src/runtime/kafka/create-bus.ts). */
  client: 'kafkajs' | 'platformatic'
}

export interface PipelineConfig {
  file: string
  dir: string
  name: string
  description?: string
  kafka: KafkaSettings
  /** Absent: the pipeline only consumes kafka.topic, which something else fills. */
  source?: StageConfig
  transforms: StageConfig[]
  sinks: StageConfig[]
  charts: ChartConfig[]
  /** `shutdown:` — how long a clean stop may take after Ctrl-C / SIGTERM before the run gives up on it. */
  shutdown: {graceMs: number}
  registry: PluginRegistry
  warnings: string[]
}

const ajv = createAjv()
const validatePipelineShape = ajv.compile(PIPELINE_SCHEMA)
const pluginValidators = new WeakMap<AnyPluginDefinition, ValidateFunction>()
const SECRET_VARIABLE = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL/i

function pluginValidator(definition: AnyPluginDefinition): ValidateFunction {
  let validate = pluginValidators.get(definition)
  if (!validate) {
    validate = ajv.compile(definition.configSchema)
    pluginValidators.set(definition, validate)
  }
  return validate
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv
  /** The plugins the file may name: the built-ins (the CLI's and the programmatic API's registry) and any others. */
  registry: PluginRegistry
}

export async function loadPipeline(fileArgument: string, options: LoadOptions): Promise<PipelineConfig> {
  const env = options.env ?? process.env
  const file = fileArgument
  const text = await readConfigFile(file, 'pipeline file')
  const parsed = parseYaml(file, text)
  if (parsed.problems.length > 0) throw new ConfigError(file, parsed.problems)

  const {problems, variablesUsed} = interpolateEnv(parsed, env)
  for (const name of variablesUsed) if (SECRET_VARIABLE.test(name)) registerSecret(env[name])

  const data = toData(parsed) as Record<string, unknown> | null
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(file, [
      ...problems,
      {
        file,
        line: 1,
        col: 1,
        path: '',
        message: 'a pipeline file must be a mapping with sinks: (and usually source:)',
        code: 'ETL_CONFIG_INVALID',
      },
    ])
  }
  if (!validatePipelineShape(data)) problems.push(...schemaProblems(parsed, validatePipelineShape, data))

  const registry = options.registry
  const dir = dirname(resolve(file))
  problems.push(...(await loadPluginModules(parsed, registry, asArray(data.plugins), dir)))

  const stage = (kind: PluginKind, entry: unknown, path: (string | number)[]) =>
    resolveStage(parsed, registry, kind, entry, path, problems)
  // One after the other, so that problems keep the file's order.
  const source = data.source === undefined ? undefined : await stage('source', data.source, ['source'])
  const transforms = await inOrder(asArray(data.transforms), (entry, i) => stage('transform', entry, ['transforms', i]))
  const sinks = await inOrder(asArray(data.sinks), (entry, i) => stage('sink', entry, ['sinks', i]))
  const charts = await inOrder(asArray(data.charts), (entry, i) =>
    resolveChart(parsed, registry, entry, ['charts', i], problems),
  )
  problems.push(...duplicateChartNames(parsed, asArray(data.charts)))

  if (problems.length > 0) throw new ConfigError(file, withoutEchoes(problems))

  const name = (data.name as string | undefined) ?? defaultName(file)
  const kafka = (data.kafka ?? {}) as Record<string, unknown>
  const topic = kafka.topic as string
  const warnings: string[] = []
  return {
    file,
    dir,
    name,
    description: data.description as string | undefined,
    kafka: {
      brokers: brokerList(kafka.brokers),
      topic,
      partitions: kafka.partitions as number,
      replicationFactor: kafka.replicationFactor as number,
      clientId: (kafka.clientId as string | undefined) ?? `etl-${name}`,
      groupId: (kafka.groupId as string | undefined) ?? `etl-${name}`,
      fromBeginning: kafka.fromBeginning as boolean,
      deadLetterTopic: (kafka.deadLetterTopic as string | undefined) ?? `${topic}.dlq`,
      sourceStateTopic:
        (kafka.sourceStateTopic as string | undefined) ??
        sourceStateTopicOf((kafka.groupId as string | undefined) ?? `etl-${name}`),
      producerBuffer: {maxRecords: 10_000, whenFull: 'block', ...(kafka.producerBuffer as object | undefined)},
      client: (kafka.client as 'kafkajs' | 'platformatic' | undefined) ?? 'kafkajs',
    },
    source,
    transforms: transforms as StageConfig[],
    sinks: sinks as StageConfig[],
    charts: charts as ChartConfig[],
    shutdown: {graceMs: parseDuration(((data.shutdown ?? {}) as {grace?: Duration}).grace ?? '30s')},
    registry,
    warnings,
  }
}

async function resolveChart(
  parsed: ParsedYaml,
  registry: PluginRegistry,
  entry: unknown,
  path: (string | number)[],
  problems: ConfigProblem[],
): Promise<ChartConfig | undefined> {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return undefined
  const {data, every, ...rest} = entry as Record<string, unknown>
  const stage = await resolveStage(parsed, registry, 'chart', {type: 'vega-lite', ...rest}, path, problems)
  if (!stage || data === undefined) return undefined
  const source: ChartDataSource =
    data === 'stream' ? {kind: 'stream'} : {kind: 'csv', path: String((data as {csv: string}).csv)}
  return {...stage, data: source, everyMs: parseDuration((every ?? '10s') as Duration)}
}

function duplicateChartNames(parsed: ParsedYaml, entries: unknown[]): ConfigProblem[] {
  const seen = new Set<string>()
  const problems: ConfigProblem[] = []
  for (const [index, entry] of entries.entries()) {
    const name = (entry as {name?: unknown} | null)?.name
    if (typeof name !== 'string') continue
    if (seen.has(name)) {
      const path = ['charts', index, 'name']
      problems.push({
        file: parsed.file,
        ...locate(parsed, path),
        path: formatPath(path),
        message: `another chart is already named "${name}"; chart names must be unique`,
        code: 'ETL_CONFIG_INVALID',
      })
    }
    seen.add(name)
  }
  return problems
}

export async function resolveStage(
  parsed: ParsedYaml,
  registry: PluginRegistry,
  kind: PluginKind,
  entry: unknown,
  path: (string | number)[],
  problems: ConfigProblem[],
): Promise<StageConfig | undefined> {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return undefined
  // `where` on a sink is routing (the runtime's); on other kinds it is the plugin's own config (the filter transform).
  const {type, name, ...rest} = entry as Record<string, unknown>
  const whereText = kind === 'sink' ? rest.where : undefined
  if (kind === 'sink') delete rest.where
  // `retry` on a source or sink is the runtime's retry policy (retry.ts), already checked by the pipeline schema.
  const retryConfig = kind === 'source' || kind === 'sink' ? (rest.retry as RetryConfig | undefined) : undefined
  if (kind === 'source' || kind === 'sink') delete rest.retry
  // `worker` on the source is the runtime's too (checked by the pipeline schema): where its stage runs.
  const worker = kind === 'source' && typeof rest.worker === 'boolean' ? rest.worker : undefined
  if (kind === 'source') delete rest.worker
  let retry = defaultRetryPolicy(kind)
  try {
    retry = retryPolicyFrom(retryConfig, retry)
  } catch {
    // an unreadable duration: the pipeline schema reported it with its position
  }
  if (typeof type !== 'string' || !type) return undefined // the pipeline schema already reported it
  let where: CompiledExpression | undefined
  if (typeof whereText === 'string') {
    const problem = validateExpression(whereText)
    if (problem) {
      const wherePath = [...path, 'where']
      problems.push({
        file: parsed.file,
        ...locate(parsed, wherePath),
        path: formatPath(wherePath),
        message: `${problem} in ${JSON.stringify(whereText)}`,
        code: 'ETL_CONFIG_INVALID',
      })
    } else {
      where = compileExpression(whereText)
    }
  }
  const definition = registry.get(kind, type)
  if (!definition) {
    const available = registry.names(kind)
    const guess = closest(type, available)
    const hint = guess ? `did you mean "${guess}"? ` : ''
    problems.push({
      file: parsed.file,
      ...locate(parsed, [...path, 'type']),
      path: formatPath([...path, 'type']),
      message: `unknown ${kind} plugin "${type}" (${hint}available: ${available.join(', ')}; third-party plugins go under plugins:)`,
      code: 'ETL_PLUGIN_NOT_FOUND',
    })
    return undefined
  }
  const config = structuredClone(rest)
  problems.push(...(await pluginConfigProblems(parsed, definition, config, path)))
  for (const field of definition.secrets ?? []) {
    if (typeof config[field] === 'string') registerSecret(config[field] as string)
  }
  return {
    kind,
    type,
    label: typeof name === 'string' ? name : type,
    definition,
    config,
    path,
    retry,
    ...(where ? {where} : {}),
    ...(worker === undefined ? {} : {worker}),
  }
}

/** Registers the modules under `plugins:`; a module that does not load is a problem at its entry. */
async function loadPluginModules(parsed: ParsedYaml, registry: PluginRegistry, specifiers: unknown[], dir: string) {
  const problems: ConfigProblem[] = []
  for (const [index, specifier] of specifiers.entries()) {
    if (typeof specifier !== 'string') continue
    try {
      await loadPluginModule(registry, specifier, dir)
    } catch (error) {
      const where = locate(parsed, ['plugins', index])
      const code = (error as EtlError).code ?? 'ETL_PLUGIN_LOAD'
      problems.push({file: parsed.file, ...where, path: `plugins[${index}]`, message: messageOf(error), code})
    }
  }
  return problems
}

/** The plugin's schema problems with its config (defaults filled in), else those of its validateConfig. */
async function pluginConfigProblems(
  parsed: ParsedYaml,
  definition: AnyPluginDefinition,
  config: Record<string, unknown>,
  path: (string | number)[],
): Promise<ConfigProblem[]> {
  const validate = pluginValidator(definition)
  if (!validate(config)) return schemaProblems(parsed, validate, config, path)
  const context = {pipelineDir: dirname(resolve(parsed.file)), resolvePath: (p: string) => resolve(p)}
  let issues: ConfigIssue[]
  try {
    issues = (await definition.validateConfig?.(config, context)) ?? []
  } catch (error) {
    issues = [
      {
        path: [],
        message: `${definition.kind} plugin "${definition.name}" could not check its config: ${messageOf(error)}`,
      },
    ]
  }
  return issues.map((issue) => {
    const at = [...path, ...issue.path]
    return {
      file: parsed.file,
      ...locate(parsed, at),
      path: formatPath(at),
      message: issue.message,
      code: 'ETL_CONFIG_INVALID',
    }
  })
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

/** `resolve` of each entry, one after the other (not at once: its problems are pushed in the file's order). */
async function inOrder<T>(entries: unknown[], resolve: (entry: unknown, index: number) => Promise<T>): Promise<T[]> {
  const out: T[] = []
  for (const [index, entry] of entries.entries()) out.push(await resolve(entry, index))
  return out
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

function brokerList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined
  const list = Array.isArray(value) ? value : String(value).split(',')
  return list.map((broker) => String(broker).trim()).filter(Boolean)
}

function defaultName(file: string): string {
  const base = basename(file, extname(file)).replace(/[^A-Za-z0-9._-]/g, '-')
  return /^[A-Za-z0-9]/.test(base) ? base : `pipeline-${base}`
}
