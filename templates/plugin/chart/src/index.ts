/**
 * {{packageName}}: an etl chart plugin. Keeps the latest rows of each series and draws them as lines in a plain SVG
 * file (no charting library): x is event time, y the value, both scaled to the rows held.
 */
import {mkdir, rename, writeFile} from 'node:fs/promises'
import {dirname} from 'node:path'
import {definePlugin, type EtlRecord, type SeriesSummary} from 'etl/sdk'

export interface LinesConfig {
  output: string
  time: string
  value: string
  series: string
  width: number
  height: number
  points: number
}

interface Row {
  t: number
  value: number
}

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd']

function parseTime(value: unknown): number {
  return typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN
}

/** Numbers, and numeric text as a CSV cell holds it; anything else (null, '', 'n/a') is NaN. */
function parseValue(value: unknown): number {
  if (typeof value === 'number') return value
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
}

function text(description: string, defaultValue: string) {
  return {type: 'string', minLength: 1, default: defaultValue, description, examples: [defaultValue]}
}

function integer(description: string, defaultValue: number, minimum: number) {
  return {type: 'integer', minimum, default: defaultValue, description, examples: [defaultValue]}
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({'<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;'})[c]!)
}

/** The SVG of `series` (each non-empty, in time order) in a width × height box. */
export function drawLines(series: Map<string, Row[]>, width: number, height: number): string {
  const rows = [...series.values()].flat()
  const [t0, t1] = [Math.min(...rows.map((r) => r.t)), Math.max(...rows.map((r) => r.t))]
  const [v0, v1] = [Math.min(...rows.map((r) => r.value)), Math.max(...rows.map((r) => r.value))]
  const x = (t: number) => (t1 === t0 ? width / 2 : ((t - t0) / (t1 - t0)) * width).toFixed(1)
  const y = (v: number) => (v1 === v0 ? height / 2 : height - ((v - v0) / (v1 - v0)) * height).toFixed(1)
  const lines = [...series].map(([name, points], i) => {
    const coords = points.map((r) => `${x(r.t)},${y(r.value)}`).join(' ')
    const colour = COLOURS[i % COLOURS.length]
    return `<polyline data-series="${escapeXml(name)}" fill="none" stroke="${colour}" points="${coords}"/>`
  })
  const box = `width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"`
  return `<svg xmlns="http://www.w3.org/2000/svg" ${box}>\n${lines.join('\n')}\n</svg>\n`
}

export default definePlugin<'chart', LinesConfig>({
  // The plugin API this was written for, as a literal: an etl that does not provide it refuses the plugin clearly.
  apiVersion: {{pluginApi}},
  name: '{{pluginName}}',
  kind: 'chart',
  summary: 'Draws each series as a line in an SVG file',
  configSchema: {
    type: 'object',
    description: 'One line per series over the latest `points` rows of each; rows without a time or value are skipped.',
    additionalProperties: false,
    required: ['output'],
    properties: {
      output: {
        type: 'string',
        minLength: 1,
        description: 'SVG file to write (replaced atomically), relative to the working directory.',
        examples: ['charts/prices.svg'],
      },
      time: text('Event-time field (ISO 8601 or epoch ms).', 'timestamp'),
      value: text('Numeric field drawn.', 'price_usd'),
      series: text('Field naming the series.', 'symbol'),
      width: integer('Width in pixels.', 600, 10),
      height: integer('Height in pixels.', 200, 10),
      points: integer('Most rows kept per series.', 1000, 2),
    },
    examples: [{output: 'charts/prices.svg', value: 'price_usd'}],
  },

  create(config, context) {
    const series = new Map<string, Row[]>()
    const path = context.resolvePath(config.output)
    return {
      add(records: EtlRecord[]) {
        for (const record of records) {
          const row = {t: parseTime(record[config.time]), value: parseValue(record[config.value])}
          if (!Number.isFinite(row.t) || !Number.isFinite(row.value)) {
            context.count('rows_skipped')
            continue
          }
          const name = String(record[config.series] ?? config.value)
          let rows = series.get(name)
          if (!rows) series.set(name, (rows = []))
          rows.push(row)
          if (rows.length > 1 && rows[rows.length - 2].t > row.t) rows.sort((a, b) => a.t - b.t)
          if (rows.length > config.points) rows.splice(0, rows.length - config.points)
        }
      },
      reset() {
        series.clear()
      },
      async render() {
        const started = performance.now()
        const svg = drawLines(series, config.width, config.height)
        await mkdir(dirname(path), {recursive: true})
        await writeFile(`${path}.tmp`, svg)
        await rename(`${path}.tmp`, path)
        const points = [...series.values()].reduce((sum, rows) => sum + rows.length, 0)
        return {svg, outputs: [path], points, renderedPoints: points, ms: performance.now() - started}
      },
      summary(): SeriesSummary[] {
        return [...series].map(([name, rows]) => {
          const [first, last] = [rows[0], rows[rows.length - 1]]
          const change = last.value - first.value
          const changePct = first.value === 0 ? 0 : (change / first.value) * 100
          return {series: name, latest: last.value, change, changePct, at: new Date(last.t).toISOString()}
        })
      },
      async close() {},
    }
  },
})
