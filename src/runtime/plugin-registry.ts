/** Keys plugins by kind/name; one registry per pipeline so third-party plugins of one file never leak into another. */
import {EtlError} from './errors.js'
import {
  PLUGIN_API_VERSION,
  PLUGIN_KINDS,
  SUPPORTED_PLUGIN_API_VERSIONS,
  type AnyPluginDefinition,
  type PluginKind,
} from './plugin-types.js'

export interface RegistryOptions {
  /** Plugins registered as built-in. */
  builtins?: readonly AnyPluginDefinition[]
  /**
   * URL of the module whose default export is `builtins`, so that a worker thread (source.worker) can build the same
   * registry: definitions hold functions and cannot be sent to it.
   */
  builtinsModule?: string
}

export class PluginRegistry {
  private readonly byKey = new Map<string, {definition: AnyPluginDefinition; origin: string}>()
  readonly builtinsModule: string | undefined

  constructor(options: RegistryOptions = {}) {
    this.builtinsModule = options.builtinsModule
    for (const definition of options.builtins ?? []) this.register(definition)
  }

  /** The registry of the built-ins that `moduleUrl` exports by default (see RegistryOptions.builtinsModule). */
  static async fromBuiltinsModule(moduleUrl: string | undefined): Promise<PluginRegistry> {
    if (!moduleUrl) return new PluginRegistry()
    const module = (await import(moduleUrl)) as {default: readonly AnyPluginDefinition[]}
    return new PluginRegistry({builtins: module.default, builtinsModule: moduleUrl})
  }

  register(definition: AnyPluginDefinition, origin = 'built-in'): void {
    const problem = definitionProblem(definition)
    if (problem) throw new EtlError('ETL_PLUGIN_LOAD', `${origin}: not a valid plugin definition: ${problem}`)
    const version = definition.apiVersion ?? 1
    if (!SUPPORTED_PLUGIN_API_VERSIONS.includes(version)) {
      throw new EtlError(
        'ETL_PLUGIN_API',
        `${origin}: ${definition.kind} plugin "${definition.name}" targets etl plugin API ${version}, ` +
          `but this etl provides API ${SUPPORTED_PLUGIN_API_VERSIONS.join(', ')}: ` +
          `install a version of the plugin written for API ${PLUGIN_API_VERSION}, ` +
          `or an etl that provides API ${version}`,
        {
          details: {
            plugin: definition.name,
            kind: definition.kind,
            apiVersion: version,
            supported: SUPPORTED_PLUGIN_API_VERSIONS,
          },
        },
      )
    }
    const key = `${definition.kind}/${definition.name}`
    const existing = this.byKey.get(key)
    if (existing) {
      throw new EtlError('ETL_PLUGIN_DUPLICATE', `${origin}: ${key} is already registered by ${existing.origin}`)
    }
    this.byKey.set(key, {definition, origin})
  }

  get(kind: PluginKind, name: string): AnyPluginDefinition | undefined {
    return this.byKey.get(`${kind}/${name}`)?.definition
  }

  names(kind: PluginKind): string[] {
    return this.list(kind).map((definition) => definition.name)
  }

  list(kind?: PluginKind): AnyPluginDefinition[] {
    const all = [...this.byKey.values()].map((entry) => entry.definition)
    const filtered = kind ? all.filter((definition) => definition.kind === kind) : all
    return filtered.sort(
      (a, b) => PLUGIN_KINDS.indexOf(a.kind) - PLUGIN_KINDS.indexOf(b.kind) || a.name.localeCompare(b.name),
    )
  }

  origin(kind: PluginKind, name: string): string | undefined {
    return this.byKey.get(`${kind}/${name}`)?.origin
  }
}

function definitionProblem(definition: unknown): string | undefined {
  if (!definition || typeof definition !== 'object') return 'expected an object'
  const d = definition as Partial<AnyPluginDefinition>
  if (typeof d.name !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/i.test(d.name)) return 'name must be a word like "my-sink"'
  if (!PLUGIN_KINDS.includes(d.kind as PluginKind)) return `kind must be one of ${PLUGIN_KINDS.join(', ')}`
  if (typeof d.summary !== 'string' || !d.summary) return 'summary must be a non-empty string'
  if (!d.configSchema || d.configSchema.type !== 'object')
    return 'configSchema must be a JSON Schema with type "object"'
  if (typeof d.create !== 'function') return 'create must be a function'
  if (d.apiVersion !== undefined && !Number.isInteger(d.apiVersion))
    return 'apiVersion must be an integer (PLUGIN_API_VERSION)'
  return undefined
}
