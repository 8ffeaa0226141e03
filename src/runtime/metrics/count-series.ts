/**
 * Where each count of the run summary (src/runtime/counters.ts) lands in Prometheus: the summary's scope
 * (`process`, `sink csv`, `transform weekly`) becomes the `stage` and `plugin` labels, its event the `outcome`, so
 * `sum by (stage, plugin, outcome)` of a metric gives back the summary's rows. Counts that are not records (retries,
 * chart renders) get metrics of their own; `buffer_peak` is a maximum, not a sum, so it is a gauge.
 */

/** The labels every count series carries; `code` only for counts that come with one (dead letters). */
export const COUNT_LABELS = ['stage', 'plugin', 'outcome', 'code'] as const

export type CountMetricName =
  'etl_records_total' | 'etl_retries_total' | 'etl_chart_renders_total' | 'etl_source_buffer_peak_records'

export interface CountSeries {
  name: CountMetricName
  /** Counters add; gauges hold the running total of the count, which for a peak is the peak itself. */
  type: 'counter' | 'gauge'
  labels: {stage: string; plugin: string; outcome: string}
}

/** `sink csv` → stage `sink`, plugin `csv` (the entry's name, else its type); `process` → plugin ''. */
export function scopeLabels(scope: string): {stage: string; plugin: string} {
  const space = scope.indexOf(' ')
  return space < 0 ? {stage: scope, plugin: ''} : {stage: scope.slice(0, space), plugin: scope.slice(space + 1)}
}

/** The metric and labels one summary row (`scope event`) is exported as. */
export function countSeries(scope: string, event: string): CountSeries {
  const labels = {...scopeLabels(scope), outcome: event}
  if (event === 'buffer_peak') return {name: 'etl_source_buffer_peak_records', type: 'gauge', labels}
  if (event === 'retry' || event.endsWith('_retry')) return {name: 'etl_retries_total', type: 'counter', labels}
  if (labels.stage === 'chart' && (event === 'rendered' || event === 'render_failed'))
    return {name: 'etl_chart_renders_total', type: 'counter', labels}
  return {name: 'etl_records_total', type: 'counter', labels}
}
