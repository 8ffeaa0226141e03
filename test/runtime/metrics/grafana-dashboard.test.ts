import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {Histogram} from 'prom-client'
import type {MessageBus} from '../../../src/runtime/kafka/message-bus.js'
import {registerPipelineMetrics} from '../../../src/runtime/metrics/pipeline-metrics.js'
import {REPO} from '../../support/run-cli.js'

interface Dashboard {
  panels: {title: string; targets: {expr: string}[]}[]
  templating: {list: {definition: string}[]}
}

const dashboard = JSON.parse(readFileSync(join(REPO, 'docs', 'grafana-dashboard.json'), 'utf8')) as Dashboard
const expressions = [
  ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
  ...dashboard.templating.list.map((variable) => variable.definition),
]

/** Every metric a run with both stages registers; nothing is scraped, so the bus is never called. */
function registeredMetrics(): Map<string, {labelNames?: string[]}> {
  const neverCalled = new Proxy({} as MessageBus, {
    get: (_, name) => () => {
      throw new Error(`the bus was called (${String(name)})`)
    },
  })
  const {registry} = registerPipelineMetrics({
    pipelineName: 'dashboard',
    bus: neverCalled,
    consumer: {groupId: 'g', topic: 't', sinks: 1},
    sourceBufferCapacity: 10,
  })
  return new Map(
    registry.getMetricsAsArray().map((metric) => {
      const named = metric as unknown as {name: string; labelNames?: string[]}
      return [named.name, named]
    }),
  )
}

/** The series an expression names: etl_…, process_… and nodejs_… (histograms with _bucket, _sum or _count). */
function seriesIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:etl|process|nodejs)_[a-z0-9_]+)/g)].map((match) => match[1])
}

describe('docs/grafana-dashboard.json', () => {
  const metrics = registeredMetrics()

  it('names only metrics a run registers (a histogram through _bucket, _sum or _count)', () => {
    const unknown: string[] = []
    for (const series of expressions.flatMap(seriesIn)) {
      const histogram = /^(.*)_(bucket|sum|count)$/.exec(series)
      const found = metrics.get(series) ?? (histogram ? metrics.get(histogram[1]) : undefined)
      if (!found) unknown.push(series)
      else if (!metrics.has(series)) expect(found, series).to.be.instanceOf(Histogram)
    }
    expect(unknown).to.deep.equal([])
  })

  it('groups only by labels the metrics it reads carry', () => {
    for (const expr of expressions) {
      const labels = new Set(['pipeline', 'le'])
      for (const series of seriesIn(expr)) {
        const metric = metrics.get(series) ?? metrics.get(series.replace(/_(bucket|sum|count)$/, ''))
        for (const label of metric?.labelNames ?? []) labels.add(label)
      }
      for (const [, list] of expr.matchAll(/\bby \(([^)]*)\)/g)) {
        for (const label of list.split(',').map((l) => l.trim()))
          expect([...labels], `${label} in ${expr}`).to.include(label)
      }
    }
  })

  it('covers rates, lag, dead letters, retries, durations, buffer, Kafka, readiness, latency and state size', () => {
    const used = new Set(expressions.flatMap(seriesIn))
    for (const name of [
      'etl_records_total',
      'etl_consumer_lag_records',
      'etl_retries_total',
      'etl_process_batch_duration_seconds_bucket',
      'etl_sink_flush_duration_seconds_bucket',
      'etl_source_buffer_records',
      'etl_kafka_up',
      'etl_consumer_assigned_partitions',
      'etl_sinks_open',
      'etl_event_latency_seconds_bucket',
      'etl_transform_state_bytes',
    ])
      expect([...used], name).to.include(name)
    expect(expressions.some((e) => /outcome="dead_lettered"/.test(e) && /by \(code\)/.test(e))).to.equal(true)
    expect(dashboard.panels.every((panel) => panel.title && panel.targets.length > 0)).to.equal(true)
  })
})
