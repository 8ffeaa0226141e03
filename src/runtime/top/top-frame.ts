/**
 * What one screen of `etl top` shows, from two successive scrapes of /metrics: per stage, plugin and outcome the
 * total and the rate between the scrapes (the first screen, with one scrape, takes the endpoint's own 10 s rate,
 * etl_records_per_second), lag per partition, dead letters by code, retries, the source buffer, Kafka and readiness.
 * Only names etl_… series the metrics module registers; anything else in the scrape is ignored.
 */
import type {Sample} from './prometheus-text.js'

export interface Scrape {
  /** Unix time in ms the scrape was answered. */
  at: number
  samples: Sample[]
}

export interface CountRow {
  stage: string
  plugin: string
  outcome: string
  code?: string
  total: number
  /** Per second; undefined when it cannot be known yet. */
  rate?: number
}

export interface TopReadiness {
  ready: boolean
  /** `check: reason` of each failing check. */
  failing: string[]
}

export interface TopFrame {
  at: number
  pipeline?: string
  records: CountRow[]
  retries: CountRow[]
  lag: {topic: string; partition: string; records: number}[]
  kafkaUp?: boolean
  buffer?: {records: number; capacity?: number}
  readiness?: TopReadiness
}

const keyOf = (labels: Record<string, string>) =>
  [labels.stage, labels.plugin, labels.outcome, labels.code ?? ''].join('\u0000')

export function buildFrame(current: Scrape, previous: Scrape | undefined, readiness?: TopReadiness): TopFrame {
  const {samples} = current
  const first = samples.find((s) => s.name.startsWith('etl_'))
  return {
    at: current.at,
    pipeline: first?.labels.pipeline,
    records: countRows('etl_records_total', current, previous),
    retries: countRows('etl_retries_total', current, previous),
    lag: samples
      .filter((s) => s.name === 'etl_consumer_lag_records')
      .map((s) => ({topic: s.labels.topic, partition: s.labels.partition, records: s.value}))
      .sort((a, b) => Number(a.partition) - Number(b.partition)),
    kafkaUp: valueOf(samples, 'etl_kafka_up', (v) => v === 1),
    buffer: bufferOf(samples),
    readiness,
  }
}

/** The rows of one counter, with the rate since `previous` (or the endpoint's own rate on the first screen). */
function countRows(name: string, current: Scrape, previous: Scrape | undefined): CountRow[] {
  const before = new Map(previous?.samples.filter((s) => s.name === name).map((s) => [keyOf(s.labels), s.value]))
  const seconds = previous ? (current.at - previous.at) / 1000 : 0
  const gauge = new Map(
    current.samples.filter((s) => s.name === 'etl_records_per_second').map((s) => [keyOf(s.labels), s.value]),
  )
  return current.samples
    .filter((s) => s.name === name)
    .map(({labels, value}) => {
      const key = keyOf(labels)
      const rate = seconds > 0 ? (value - (before.get(key) ?? 0)) / seconds : gauge.get(key)
      const row: CountRow = {stage: labels.stage, plugin: labels.plugin, outcome: labels.outcome, total: value, rate}
      if (labels.code) row.code = labels.code
      return row
    })
}

function valueOf<T>(samples: Sample[], name: string, map: (value: number) => T): T | undefined {
  const sample = samples.find((s) => s.name === name)
  return sample ? map(sample.value) : undefined
}

function bufferOf(samples: Sample[]): TopFrame['buffer'] {
  const records = valueOf(samples, 'etl_source_buffer_records', (v) => v)
  if (records === undefined) return undefined
  return {records, capacity: valueOf(samples, 'etl_source_buffer_capacity_records', (v) => v)}
}
