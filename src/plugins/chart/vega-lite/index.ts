/**
 * Renders a Vega-Lite spec to PNG and/or SVG from a bounded window of rows, re-rendered by the runtime as data
 * arrives. History of any length is drawn at the cost of ~width points: rows are downsampled per series (LTTB for
 * lines, merged candles for OHLC) after the moving average was computed on the raw rows.
 */
import {existsSync} from 'node:fs'
import {resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {
  type ConfigIssue,
  definePlugin,
  type Duration,
  durationSchema,
  EtlError,
  messageOf,
  parseDuration,
} from '../../../sdk/index.js'
// Types only: this module is the definition, imported by everything that lists or validates plugins. validateConfig
// and create() import what they run (the spec check; vega-view.js, which loads vega, vega-lite and opentype.js), so
// pipelines without charts, and `etl plugins`, never load any of it.
import type {Downsample, FieldMap} from './chart-rows.js'
import type {ChartView} from './vega-view.js'

/** The charts/ folder shipped with etl (same relative place from src/ and dist/). */
const SHIPPED_CHARTS = new URL('../../../../charts/', import.meta.url)

/**
 * A relative spec path resolves against the working directory; `charts/<file>` that does not exist there means the
 * spec shipped with etl, so pipelines can name `charts/price.vl.json` from any folder.
 */
export function resolveSpecPath(spec: string, resolveFromCwd: (path: string) => string = resolve): string {
  const local = resolveFromCwd(spec)
  if (existsSync(local)) return local
  const match = /^(?:\.\/)?charts\/([^/\\]+)$/.exec(spec)
  if (match) {
    const shipped = fileURLToPath(new URL(match[1], SHIPPED_CHARTS))
    if (existsSync(shipped)) return shipped
  }
  return local
}

export interface VegaLiteChartConfig {
  spec: string
  output: {png?: string; svg?: string}
  width: number
  height: number
  scale: number
  title?: string
  seriesTitle?: string
  fields: FieldMap
  series?: string[]
  defaultSeries?: string
  downsample: Downsample
  maxPoints?: number
  window?: Duration
  points: number
  movingAverage: number
}

const field = (description: string, defaultValue: string) => ({
  type: 'string',
  minLength: 1,
  description,
  default: defaultValue,
})

const DEFAULT_FIELDS: FieldMap = {
  time: 'timestamp',
  value: 'price_usd',
  series: 'symbol',
  open: 'open',
  high: 'high',
  low: 'low',
  close: 'close',
  volume: 'volume',
}

/** Default bucket count for `ohlc`: one candle per 8 px leaves room for the 5 px body Vega-Lite draws plus a gap. */
const OHLC_PX_PER_CANDLE = 8

export default definePlugin<'chart', VegaLiteChartConfig>({
  name: 'vega-lite',
  kind: 'chart',
  summary: 'Renders a Vega-Lite spec to PNG/SVG from a bounded, downsampled window of rows',
  configSchema: {
    type: 'object',
    description:
      'Feeds rows to a Vega-Lite spec as the data set `rows` (`"data": {"name": "rows"}`), each row normalised to ' +
      '`{t, series, value, ma, open, high, low, close, volume}` (t in epoch ms, ma = trailing moving average, null ' +
      'until enough rows). Rows without a usable time or value are skipped and counted as rows_skipped; a row older ' +
      "than its series' latest row is skipped as rows_out_of_order; a row with the same time replaces the latest. " +
      'Shipped specs: charts/price.vl.json (price lines + moving average) and charts/candles.vl.json (candlesticks ' +
      'over volume, use with downsample: ohlc). Text is drawn with the bundled DejaVu Sans font on every machine.',
    additionalProperties: false,
    required: ['output'],
    properties: {
      spec: {
        type: 'string',
        minLength: 1,
        description:
          'Vega-Lite spec file (JSON), relative to the working directory; charts/<file> that is not there names the ' +
          'spec shipped with etl (charts/price.vl.json, charts/candles.vl.json). Checked by `etl validate`.',
        default: 'charts/price.vl.json',
        examples: ['charts/price.vl.json', 'charts/candles.vl.json'],
      },
      output: {
        type: 'object',
        description:
          'Files to write (folders are created; each file is replaced atomically). At least one is required.',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          png: {type: 'string', minLength: 1, description: 'PNG file, width × scale by height × scale pixels.'},
          svg: {type: 'string', minLength: 1, description: 'SVG file, width × height user units.'},
        },
        examples: [{png: 'charts/btc.png'}, {png: 'charts/btc.png', svg: 'charts/btc.svg'}],
      },
      width: {
        type: 'integer',
        minimum: 50,
        maximum: 10000,
        default: 800,
        description: 'Image width in pixels (before scale), axes and legend included.',
      },
      height: {
        type: 'integer',
        minimum: 50,
        maximum: 10000,
        default: 400,
        description: 'Image height in pixels (before scale), title and axes included.',
      },
      scale: {
        type: 'number',
        exclusiveMinimum: 0,
        maximum: 8,
        default: 2,
        description: 'PNG pixel density multiplier (2 = sharp on high-DPI screens).',
      },
      title: {
        type: 'string',
        description: "Replaces the spec's title text (its styling is kept).",
        examples: ['BTC (USD)'],
      },
      seriesTitle: {
        type: 'string',
        description:
          "Replaces the title of the series legend (each encoding of the row's `series` field; the shipped specs " +
          'say "Coin"), e.g. when the series are exchanges.',
        examples: ['Exchange'],
      },
      fields: {
        type: 'object',
        description:
          'Which record columns feed the normalised row. Times may be ISO 8601 strings (no zone = UTC, e.g. ' +
          '"2011-08-18 12:35:00"), or Unix times as numbers or numeric strings (below 10^11: seconds, else ms). ' +
          'Missing candle parts fall back to the value: close = value, open = close, ' +
          'high/low = max/min(open, close), ' +
          'volume = 0 — so a plain price stream still draws (flat) candles.',
        additionalProperties: false,
        default: DEFAULT_FIELDS,
        properties: {
          time: field('Event time column.', DEFAULT_FIELDS.time),
          value: field('Value column (the price line; the moving average is computed over it).', DEFAULT_FIELDS.value),
          series: field(
            'Column naming the series (coin): one line or candle set per distinct value.',
            DEFAULT_FIELDS.series,
          ),
          open: field('Candle open column.', DEFAULT_FIELDS.open),
          high: field('Candle high column.', DEFAULT_FIELDS.high),
          low: field('Candle low column.', DEFAULT_FIELDS.low),
          close: field('Candle close column.', DEFAULT_FIELDS.close),
          volume: field('Volume column.', DEFAULT_FIELDS.volume),
        },
        examples: [{time: 'timestamp', value: 'close'}],
      },
      series: {
        type: 'array',
        items: {type: 'string', minLength: 1},
        minItems: 1,
        uniqueItems: true,
        description: 'Draw only these series (e.g. one coin of a CSV holding several). Default: every series.',
        examples: [['BTC'], ['BTC', 'ETH']],
      },
      defaultSeries: {
        type: 'string',
        minLength: 1,
        description: "Series name for records without a series column. Default: the value column's name.",
        examples: ['BTC'],
      },
      downsample: {
        enum: ['lttb', 'ohlc', 'none'],
        default: 'lttb',
        description:
          "How each series is reduced to maxPoints before drawing: lttb keeps the line's visual shape (peaks " +
          'included); ohlc merges consecutive candles (first open, max high, min low, last close, summed volume); ' +
          'none draws every row (slow beyond a few thousand).',
      },
      maxPoints: {
        type: 'integer',
        minimum: 2,
        maximum: 1000000,
        description: 'Most points (or candles) drawn per series. Default: width for lttb, width / 8 for ohlc.',
        examples: [800, 100],
      },
      window: {
        ...durationSchema('Keep only rows whose time is at most this long before the latest row (all series).'),
        examples: ['24h', '7d', '30m'],
      },
      points: {
        type: 'integer',
        minimum: 1,
        maximum: 10000000,
        default: 200000,
        description: 'Most rows kept per series, oldest dropped first: bounds memory (~64 bytes a row).',
      },
      movingAverage: {
        type: 'integer',
        minimum: 0,
        maximum: 100000,
        default: 20,
        description:
          'Rows in the trailing moving average (field ma), computed on raw rows before downsampling; 0 = off.',
      },
    },
    examples: [
      {spec: 'charts/price.vl.json', output: {png: 'charts/btc.png'}, window: '24h'},
      {
        spec: 'charts/candles.vl.json',
        output: {png: 'charts/candles.png', svg: 'charts/candles.svg'},
        downsample: 'ohlc',
        fields: {time: 'timestamp', value: 'close'},
      },
    ],
  },

  async validateConfig(config) {
    const issues: ConfigIssue[] = []
    if (config.window !== undefined && parseDuration(config.window) === 0) {
      issues.push({path: ['window'], message: 'window must be longer than zero'})
    }
    const spec = config.spec ?? 'charts/price.vl.json'
    const {checkSpec} = await import('./spec-check.js')
    // Relative paths resolve against the working directory, as the context's resolvePath does.
    for (const message of await checkSpec(resolveSpecPath(spec), spec, overridesOf(config)))
      issues.push({path: ['spec'], message})
    return issues
  },

  async create(config, context) {
    const specPath = resolveSpecPath(config.spec, context.resolvePath)
    const {readSpec} = await import('./spec-file.js')
    const read = readSpec(specPath, config.spec)
    if ('problem' in read) throw new EtlError('ETL_CHART_INVALID', read.problem)
    const vegaView = await import('./vega-view.js')
    let view: ChartView
    const spec = vegaView.applyOverrides(read.spec, overridesOf(config)) as unknown as Record<string, unknown>
    try {
      const compiled = vegaView.compileSpec(spec as never)
      for (const warning of compiled.warnings) context.logger.debug(`Vega-Lite: ${warning}`)
      if (!vegaView.readsRows(compiled.vega)) {
        throw new Error(`it never reads the chart's rows: give it "data": {"name": "${vegaView.ROWS_DATA}"}`)
      }
      view = new vegaView.ChartView(compiled.vega)
    } catch (error) {
      const message = `${config.spec}: Vega-Lite cannot compile it: ${messageOf(error)}`
      throw new EtlError('ETL_CHART_INVALID', message, {cause: error})
    }
    // Fonts and sharp are set up now, not at the first render, so a broken install fails at start-up.
    if (config.output.png) await (await import('./font-setup.js')).loadSharp()
    const {LiveChart} = await import('./live-chart.js')
    const downsample = config.downsample
    const candles = Math.max(2, Math.floor(config.width / OHLC_PX_PER_CANDLE))
    const maxPoints = config.maxPoints ?? (downsample === 'ohlc' ? candles : config.width)
    return new LiveChart(
      view,
      {
        rows: {
          fields: config.fields,
          defaultSeries: config.defaultSeries ?? config.fields.value,
          onlySeries: config.series === undefined ? undefined : new Set(config.series),
          windowMs: config.window === undefined ? undefined : parseDuration(config.window),
          points: config.points,
          movingAverage: config.movingAverage,
        },
        downsample,
        maxPoints,
        scale: config.scale,
        png: config.output.png === undefined ? undefined : context.resolvePath(config.output.png),
        svg: config.output.svg === undefined ? undefined : context.resolvePath(config.output.svg),
        spec,
      },
      context,
    )
  },
})

function overridesOf(config: VegaLiteChartConfig) {
  const {title, seriesTitle} = config
  return {width: config.width ?? 800, height: config.height ?? 400, title, seriesTitle}
}
