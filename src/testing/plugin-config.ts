/**
 * A plugin's config as the runtime hands it to create(): checked against the plugin's JSON Schema with the defaults
 * filled in, and checked by its validateConfig. The schema check is strict (unknown keywords and types fail), so a
 * sloppy schema fails the plugin's own tests before a user's pipeline meets it.
 */
import {resolve} from 'node:path'
import {Ajv, type ValidateFunction} from 'ajv'
import type {AnyPluginDefinition, ConfigIssue, PluginDefinition, PluginKind} from '../runtime/plugin-types.js'

const ajv = new Ajv({useDefaults: true, allErrors: true, strict: true})
const compiled = new WeakMap<object, ValidateFunction>()

function validatorOf(definition: AnyPluginDefinition): ValidateFunction {
  let validate = compiled.get(definition.configSchema)
  if (!validate) {
    validate = ajv.compile(definition.configSchema)
    compiled.set(definition.configSchema, validate)
  }
  return validate
}

/** The schema's problems with `config` as ConfigIssues (path inside the config, message), after filling defaults. */
function schemaIssues(definition: AnyPluginDefinition, config: Record<string, unknown>): ConfigIssue[] {
  const validate = validatorOf(definition)
  if (validate(config)) return []
  return (validate.errors ?? []).map((error) => ({
    path: error.instancePath
      .split('/')
      .slice(1)
      .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment)),
    message: error.message ?? 'is invalid',
  }))
}

/**
 * `config` checked against the plugin's schema, with its defaults filled in (a copy; `config` is not changed). Throws
 * a TypeError listing every schema problem. validateConfig is not run: see checkConfig.
 */
export function pluginConfig<Kind extends PluginKind, Config>(
  definition: PluginDefinition<Kind, Config>,
  config: Record<string, unknown> = {},
): Config {
  const copy = structuredClone(config)
  const issues = schemaIssues(definition, copy)
  if (issues.length > 0) {
    const list = issues.map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`).join('; ')
    throw new TypeError(`invalid ${definition.kind} "${definition.name}" config: ${list}`)
  }
  return copy as Config
}

export interface CheckConfigOptions {
  /** Folder of the pipeline file that would hold this config; relative paths resolve against the working directory. */
  pipelineDir?: string
}

/**
 * Every problem `etl validate` would report for this config of the plugin: its schema's, then (when those pass) its
 * validateConfig's. An empty array means valid.
 */
export async function checkConfig(
  definition: AnyPluginDefinition,
  config: Record<string, unknown> = {},
  options: CheckConfigOptions = {},
): Promise<ConfigIssue[]> {
  const copy = structuredClone(config)
  const issues = schemaIssues(definition, copy)
  if (issues.length > 0 || !definition.validateConfig) return issues
  const context = {pipelineDir: options.pipelineDir ?? process.cwd(), resolvePath: (path: string) => resolve(path)}
  return definition.validateConfig(copy, context)
}
