/** Keys plugins by kind/name; one registry per pipeline so third-party plugins of one file never leak into another. */
import {EtlError} from './errors.js'
import {PLUGIN_KINDS, type AnyPluginDefinition, type PluginKind} from './plugin-types.js'

export class PluginRegistry {
  private readonly byKey = new Map<string, {definition: AnyPluginDefinition; origin: string}>()

  register(definition: AnyPluginDefinition, origin = 'built-in'): void {
    const problem = definitionProblem(definition)
    if (problem) throw new EtlError('ETL_PLUGIN_LOAD', `${origin}: not a valid plugin definition: ${problem}`)
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
    return filtered.sort((a, b) => PLUGIN_KINDS.indexOf(a.kind) - PLUGIN_KINDS.indexOf(b.kind) || a.name.localeCompare(b.name))
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
  if (!d.configSchema || d.configSchema.type !== 'object') return 'configSchema must be a JSON Schema with type "object"'
  if (typeof d.create !== 'function') return 'create must be a function'
  return undefined
}
