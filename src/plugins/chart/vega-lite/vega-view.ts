/**
 * A Vega-Lite spec compiled and parsed once, kept as one live vega View: each render only patches the "rows" data set
 * and re-runs the dataflow. Parsing a spec costs far more than running it, and a fresh View per frame would also
 * leak its dataflow unless finalized.
 */
import * as vega from 'vega'
import {compile, type TopLevelSpec} from 'vega-lite'
import type {ChartRow} from './chart-rows.js'
import {CHART_FONT_FAMILY} from './font-setup.js'
import {installTextMetrics} from './text-metrics.js'

/** The data set name the specs read: `"data": {"name": "rows"}`. */
export const ROWS_DATA = 'rows'

export interface SpecOverrides {
  width: number
  height: number
  /** Replaces the spec's title text (its styling is kept). */
  title?: string
  /** Replaces the title of every encoding of the `series` field (the legend of the series). */
  seriesTitle?: string
}

type JsonObject = Record<string, unknown>
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The spec with the plugin's size, title and font applied. Width and height are the whole image (autosize "fit",
 * padding included) so the PNG is exactly width × height × scale, whatever the axis labels need; concatenated and
 * faceted specs cannot be fitted by Vega-Lite and keep their own sizes.
 */
export function applyOverrides(spec: JsonObject, overrides: SpecOverrides): TopLevelSpec {
  const copy = structuredClone(spec)
  const single = 'mark' in copy || 'layer' in copy
  if (single) {
    copy.width = overrides.width
    copy.height = overrides.height
    copy.autosize ??= {type: 'fit', contains: 'padding'}
  }
  if (overrides.title !== undefined) {
    copy.title = isObject(copy.title) ? {...copy.title, text: overrides.title} : overrides.title
  }
  if (overrides.seriesTitle !== undefined) retitleSeries(copy, overrides.seriesTitle)
  // Only the shipped font exists for librsvg, and text-metrics.ts measures with it: the layout and the pixels agree.
  const config = isObject(copy.config) ? copy.config : {}
  copy.config = {...config, font: CHART_FONT_FAMILY}
  return copy as unknown as TopLevelSpec
}

/** Sets `title` on each encoding channel of the `series` field, in the spec and its layers, concats and facets. */
function retitleSeries(node: unknown, title: string): void {
  if (Array.isArray(node)) return node.forEach((item) => retitleSeries(item, title))
  if (!isObject(node)) return
  if (isObject(node.encoding)) {
    for (const channel of Object.values(node.encoding))
      if (isObject(channel) && channel.field === 'series') channel.title = title
  }
  for (const key of ['layer', 'hconcat', 'vconcat', 'concat', 'spec']) retitleSeries(node[key], title)
}

export interface CompiledChart {
  vega: vega.Spec
  warnings: string[]
}

/** Compiles a Vega-Lite spec; Vega-Lite's warnings are returned rather than printed to the console. */
export function compileSpec(spec: TopLevelSpec): CompiledChart {
  const warnings: string[] = []
  let level = 0
  const logger = {
    level(value?: number) {
      if (value === undefined) return level
      level = value
      return logger
    },
    error(...args: unknown[]) {
      warnings.push(args.map(String).join(' '))
      return logger
    },
    warn(...args: unknown[]) {
      warnings.push(args.map(String).join(' '))
      return logger
    },
    info: () => logger,
    debug: () => logger,
  }
  const {spec: compiled} = compile(spec, {logger: logger as never})
  return {vega: compiled, warnings}
}

/** True when the compiled spec declares the data set the plugin feeds. */
export function readsRows(spec: vega.Spec): boolean {
  return (spec.data ?? []).some((data) => data.name === ROWS_DATA)
}

interface TextMetricsHolder {
  textMetrics: {width: (item: unknown, text: unknown) => number}
}

/** The fields whose change makes a drawn row a different tuple (time and series are its key). */
const VALUE_FIELDS = ['value', 'ma', 'open', 'high', 'low', 'close', 'volume'] as const

const keyOf = (row: ChartRow) => `${row.series}\u0000${row.t}`

function sameValues(a: ChartRow, b: ChartRow): boolean {
  for (const field of VALUE_FIELDS) if (a[field] !== b[field]) return false
  return true
}

export class ChartView {
  private readonly view: vega.View
  /**
   * What the view holds, by series and time: the tuple object given to vega and a copy of its values (vega's formula
   * transforms write into tuples, so the tuple itself is not a reliable record of what we sent).
   */
  private held = new Map<string, {tuple: ChartRow; values: ChartRow}>()
  private mustReplace = true

  constructor(compiled: vega.Spec) {
    // vega-typings does not declare textMetrics; it is vega-scenegraph's shared instance.
    installTextMetrics((vega as unknown as TextMetricsHolder).textMetrics)
    this.view = new vega.View(vega.parse(compiled), {renderer: 'none'})
  }

  /**
   * Draws `rows` and returns the SVG text. Only rows that differ from the previous render are removed and inserted:
   * between two renders of a live chart most downsampled points are the same, and vega's cost is per changed tuple.
   */
  async svg(rows: ChartRow[]): Promise<string> {
    try {
      if (this.mustReplace) this.replace(rows)
      else this.patch(rows)
      await this.view.runAsync()
      return await this.view.toSVG()
    } catch (error) {
      // The view may hold a half-applied change: start from scratch next time.
      this.mustReplace = true
      throw error
    }
  }

  private replace(rows: ChartRow[]): void {
    this.held = new Map()
    for (const row of rows) this.held.set(keyOf(row), {tuple: row, values: {...row}})
    this.view.data(ROWS_DATA, rows)
    this.mustReplace = false
  }

  private patch(rows: ChartRow[]): void {
    const next = new Map<string, {tuple: ChartRow; values: ChartRow}>()
    const inserted: ChartRow[] = []
    const removed: ChartRow[] = []
    for (const row of rows) {
      const key = keyOf(row)
      const previous = this.held.get(key)
      if (previous && sameValues(previous.values, row)) {
        next.set(key, previous)
        this.held.delete(key)
        continue
      }
      if (previous) {
        removed.push(previous.tuple)
        this.held.delete(key)
      }
      inserted.push(row)
      next.set(key, {tuple: row, values: {...row}})
    }
    for (const gone of this.held.values()) removed.push(gone.tuple)
    this.held = next
    if (inserted.length > 0 || removed.length > 0) {
      this.view.change(ROWS_DATA, vega.changeset().remove(removed).insert(inserted))
    }
  }

  finalize(): void {
    this.view.finalize()
  }
}
