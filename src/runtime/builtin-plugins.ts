/** The only runtime module that knows concrete plugins: everything else goes through the registry. */
import coingecko from '../plugins/source/coingecko.js'
import replay from '../plugins/source/replay.js'
import filter from '../plugins/transform/filter.js'
import map from '../plugins/transform/map.js'
import window from '../plugins/transform/window.js'
import ohlc from '../plugins/transform/ohlc.js'
import sma from '../plugins/transform/sma.js'
import ema from '../plugins/transform/ema.js'
import vwap from '../plugins/transform/vwap.js'
import pctChange from '../plugins/transform/pct-change.js'
import zscore from '../plugins/transform/zscore.js'
import alert from '../plugins/transform/alert.js'
import csv from '../plugins/sink/csv.js'
import stdout from '../plugins/sink/stdout.js'
import kafka from '../plugins/sink/kafka.js'
import vegaLite from '../plugins/chart/vega-lite.js'
import {PluginRegistry} from './plugin-registry.js'
import type {AnyPluginDefinition} from './plugin-types.js'

export const BUILTIN_PLUGINS: readonly AnyPluginDefinition[] = [coingecko, replay, map, filter, window, ohlc, sma, ema, vwap, pctChange, zscore, alert, csv, stdout, kafka, vegaLite]

export function createRegistry(): PluginRegistry {
  const registry = new PluginRegistry()
  for (const definition of BUILTIN_PLUGINS) registry.register(definition)
  return registry
}
