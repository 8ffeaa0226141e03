/**
 * The plugins that ship with etl. The CLI and the programmatic API (src/index.ts) register them; the runtime never
 * imports a concrete plugin. Adding a built-in plugin means adding it here.
 */
import type {AnyPluginDefinition} from '../sdk/index.js'
import vegaLite from './chart/vega-lite/index.js'
import csv from './sink/csv/index.js'
import kafka from './sink/kafka.js'
import postgres from './sink/postgres/index.js'
import parquet from './sink/parquet/index.js'
import stdout from './sink/stdout.js'
import binance from './source/binance/index.js'
import coinbase from './source/coinbase/index.js'
import coingecko from './source/coingecko/index.js'
import http from './source/http/index.js'
import replay from './source/replay/index.js'
import websocket from './source/websocket/index.js'
import alert from './transform/alert.js'
import ema from './transform/ema.js'
import filter from './transform/filter.js'
import map from './transform/map.js'
import ohlc from './transform/ohlc.js'
import pctChange from './transform/pct-change.js'
import sma from './transform/sma.js'
import vwap from './transform/vwap.js'
import window from './transform/window.js'
import zscore from './transform/zscore.js'

const BUILTIN_PLUGINS: readonly AnyPluginDefinition[] = [
  coingecko,
  coinbase,
  binance,
  http,
  replay,
  websocket,
  map,
  filter,
  window,
  ohlc,
  sma,
  ema,
  vwap,
  pctChange,
  zscore,
  alert,
  csv,
  postgres,
  parquet,
  stdout,
  kafka,
  vegaLite,
]

export default BUILTIN_PLUGINS
