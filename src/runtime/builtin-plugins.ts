/** The only runtime module that knows concrete plugins: everything else goes through the registry. */
import coingecko from '../plugins/source/coingecko.js'
import replay from '../plugins/source/replay.js'
import filter from '../plugins/transform/filter.js'
import map from '../plugins/transform/map.js'
import csv from '../plugins/sink/csv.js'
import stdout from '../plugins/sink/stdout.js'
import {PluginRegistry} from './plugin-registry.js'
import type {AnyPluginDefinition} from './plugin-types.js'

export const BUILTIN_PLUGINS: readonly AnyPluginDefinition[] = [coingecko, replay, map, filter, csv, stdout]

export function createRegistry(): PluginRegistry {
  const registry = new PluginRegistry()
  for (const definition of BUILTIN_PLUGINS) registry.register(definition)
  return registry
}
