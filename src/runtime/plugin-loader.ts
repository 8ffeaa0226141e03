/**
 * Loads third-party plugins named under `plugins:` the same way built-ins are registered: a module whose default
 * export is a plugin definition or an array of them (or a named `plugins` array). Paths resolve against the pipeline
 * file's folder; bare names are npm packages resolved from there first, then from etl's own install.
 */
import {createRequire} from 'node:module'
import {isAbsolute, join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {EtlError, messageOf} from './errors.js'
import type {PluginRegistry} from './plugin-registry.js'
import type {AnyPluginDefinition} from './plugin-types.js'

export function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('.') || isAbsolute(specifier) || /\.(m?js|ts)$/.test(specifier)
}

async function importSpecifier(specifier: string, baseDir: string): Promise<unknown> {
  if (isPathSpecifier(specifier)) return import(pathToFileURL(resolve(baseDir, specifier)).href)
  let target = specifier
  try {
    target = pathToFileURL(createRequire(join(baseDir, 'package.json')).resolve(specifier)).href
  } catch {
    // not installed beside the pipeline (or ESM-only without a require condition): let Node resolve it from etl
  }
  return import(target)
}

function definitionsOf(module: unknown): unknown[] {
  const m = module as {default?: unknown; plugins?: unknown}
  const exported = m.plugins ?? m.default
  if (Array.isArray(exported)) return exported
  return exported === undefined ? [] : [exported]
}

/** Imports one plugin module and registers what it exports; returns the registered definitions. */
export async function loadPluginModule(
  registry: PluginRegistry,
  specifier: string,
  baseDir: string,
): Promise<AnyPluginDefinition[]> {
  let module: unknown
  try {
    module = await importSpecifier(specifier, baseDir)
  } catch (error) {
    throw new EtlError('ETL_PLUGIN_LOAD', `cannot import plugin module "${specifier}": ${messageOf(error)}`, {
      cause: error,
    })
  }
  const definitions = definitionsOf(module)
  if (definitions.length === 0) {
    throw new EtlError(
      'ETL_PLUGIN_LOAD',
      `plugin module "${specifier}" exports no plugin: export default a definition (or an array of them)`,
    )
  }
  for (const definition of definitions)
    registry.register(definition as AnyPluginDefinition, `plugin module "${specifier}"`)
  return definitions as AnyPluginDefinition[]
}
