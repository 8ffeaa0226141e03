/**
 * The plugin half of validating a pipeline file: loads the modules under `plugins:`, finds each entry's plugin and
 * checks the entry's plugin fields against that plugin's schema and its validateConfig, and checks what the pipeline
 * schema cannot (sink `where:` expressions, unique chart names). It runs on the document as parsed, whether or not
 * the pipeline schema accepted it, so that one run reports every problem of the file.
 */
import {dirname, resolve} from 'node:path'
import type {ValidateFunction} from 'ajv'
import {validateExpression} from '../expression/expression.js'
import {isEtlError, messageOf} from '../errors.js'
import {registerSecret} from '../logger.js'
import {loadPluginModule} from '../plugin-loader.js'
import type {PluginRegistry} from '../plugin-registry.js'
import type {AnyPluginDefinition, ConfigIssue, PluginKind} from '../plugin-types.js'
import type {StagePlugin, StagePlugins} from './normalize-pipeline.js'
import {runtimeKeys} from './pipeline-schema.js'
import {schemaValidator} from './precompiled-validators.js'
import {sourceEntriesOf, sourcesProblems} from './source-entries.js'
import type {ConfigProblem} from './problems.js'
import {closest, schemaProblems, sharedAjv} from './schema-problems.js'
import {problemAt, type ParsedYaml} from './yaml-document.js'

type Path = (string | number)[]

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Checks every stage entry of `data` (the pipeline file as parsed), pushing what is wrong to `problems`. Returns the
 * plugin found for each entry that has one, keyed by the entry object, for normalizePipeline.
 */
export async function checkStages(
  parsed: ParsedYaml,
  registry: PluginRegistry,
  data: Record<string, unknown>,
  problems: ConfigProblem[],
): Promise<StagePlugins> {
  problems.push(...(await loadPluginModules(parsed, registry, asArray(data.plugins))))
  const plugins = new Map<object, StagePlugin>()
  const check = async (kind: PluginKind, entry: unknown, path: Path) => {
    if (!isRecord(entry)) return // the pipeline schema reported it
    const plugin = await checkStage(parsed, registry, kind, entry, path, problems)
    if (plugin) plugins.set(entry, plugin)
  }
  if (isRecord(data.kafka)) problems.push(...expressionProblems(parsed, data.kafka.key, ['kafka', 'key']))
  // One after the other, so that problems keep the file's order.
  problems.push(...sourcesProblems(parsed, data))
  for (const {entry, path} of sourceEntriesOf(data)) await check('source', entry, path)
  for (const [i, entry] of asArray(data.transforms).entries()) await check('transform', entry, ['transforms', i])
  for (const [i, entry] of asArray(data.sinks).entries()) await check('sink', entry, ['sinks', i])
  for (const [i, entry] of asArray(data.charts).entries()) await check('chart', entry, ['charts', i])
  problems.push(...duplicateChartNames(parsed, asArray(data.charts)))
  return plugins
}

/**
 * Finds the plugin of one entry and checks the entry's plugin fields (those that are not the runtime's keys of its
 * kind). Undefined when the entry names no plugin that exists; a problem says why, or the entry's schema does.
 */
export async function checkStage(
  parsed: ParsedYaml,
  registry: PluginRegistry,
  kind: PluginKind,
  entry: Record<string, unknown>,
  path: Path,
  problems: ConfigProblem[],
): Promise<StagePlugin | undefined> {
  const type = entry.type
  if (typeof type !== 'string' || !type) return undefined // the entry's schema reported it
  // `where` on a sink is routing (the runtime's); on other kinds it is the plugin's own config (the filter transform).
  if (kind === 'sink') problems.push(...expressionProblems(parsed, entry.where, [...path, 'where']))
  if (kind === 'transform') problems.push(...expressionProblems(parsed, entry.when, [...path, 'when']))
  const definition = registry.get(kind, type)
  if (!definition) {
    problems.push(unknownPlugin(parsed, registry, kind, type, [...path, 'type']))
    return undefined
  }
  const runtime = runtimeKeys(kind)
  const config = structuredClone(Object.fromEntries(Object.entries(entry).filter(([key]) => !runtime.includes(key))))
  problems.push(...(await pluginConfigProblems(parsed, definition, config, path)))
  for (const field of definition.secrets ?? []) {
    const value = config[field]
    if (typeof value === 'string') registerSecret(value)
  }
  return {definition, config}
}

/** A runtime expression of the file (a sink's `where:`, `kafka.key`) that does not compile. */
function expressionProblems(parsed: ParsedYaml, expression: unknown, path: Path): ConfigProblem[] {
  if (typeof expression !== 'string') return [] // absent, or the pipeline schema reported it
  const problem = validateExpression(expression)
  return problem ? [problemAt(parsed, path, `${problem} in ${JSON.stringify(expression)}`)] : []
}

function unknownPlugin(parsed: ParsedYaml, registry: PluginRegistry, kind: PluginKind, type: string, path: Path) {
  const available = registry.names(kind)
  const guess = closest(type, available)
  const hint = guess ? `did you mean "${guess}"? ` : ''
  const message =
    `unknown ${kind} plugin "${type}" (${hint}available: ${available.join(', ')}; ` +
    'third-party plugins go under plugins:)'
  return problemAt(parsed, path, message, {code: 'ETL_PLUGIN_NOT_FOUND'})
}

/** Registers the modules under `plugins:`; a module that does not load is a problem at its entry. */
async function loadPluginModules(parsed: ParsedYaml, registry: PluginRegistry, specifiers: unknown[]) {
  const dir = dirname(resolve(parsed.file))
  const problems: ConfigProblem[] = []
  for (const [index, specifier] of specifiers.entries()) {
    if (typeof specifier !== 'string') continue
    try {
      await loadPluginModule(registry, specifier, dir)
    } catch (error) {
      const code = isEtlError(error) ? error.code : 'ETL_PLUGIN_LOAD'
      problems.push(problemAt(parsed, ['plugins', index], messageOf(error), {code}))
    }
  }
  return problems
}

/**
 * The plugin's schema problems with its config (defaults filled in); when there are none, those of its validateConfig,
 * awaited (it may be async: a plugin may read a file or ask a service), at their place in the entry.
 */
async function pluginConfigProblems(
  parsed: ParsedYaml,
  definition: AnyPluginDefinition,
  config: Record<string, unknown>,
  path: Path,
): Promise<ConfigProblem[]> {
  const validate = pluginValidator(definition)
  if (!validate(config)) return schemaProblems(parsed, validate, config, path)
  const context = {pipelineDir: dirname(resolve(parsed.file)), resolvePath: (p: string) => resolve(p)}
  let issues: ConfigIssue[]
  try {
    issues = (await definition.validateConfig?.(config, context)) ?? []
  } catch (error) {
    const message = `${definition.kind} plugin "${definition.name}" could not check its config: ${messageOf(error)}`
    issues = [{path: [], message}]
  }
  return issues.map((issue) => problemAt(parsed, [...path, ...issue.path], issue.message))
}

function pluginValidator(definition: AnyPluginDefinition): ValidateFunction {
  return schemaValidator(definition.configSchema, sharedAjv)
}

function duplicateChartNames(parsed: ParsedYaml, entries: unknown[]): ConfigProblem[] {
  const seen = new Set<string>()
  const problems: ConfigProblem[] = []
  for (const [index, entry] of entries.entries()) {
    const name = isRecord(entry) ? entry.name : undefined
    if (typeof name !== 'string') continue
    if (seen.has(name)) {
      const message = `another chart is already named "${name}"; chart names must be unique`
      problems.push(problemAt(parsed, ['charts', index, 'name'], message))
    }
    seen.add(name)
  }
  return problems
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}
