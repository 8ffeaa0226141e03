import {expect} from 'chai'
import {Registry} from 'prom-client'
import {Counters} from '../../../src/runtime/counters.js'
import {countSeries} from '../../../src/runtime/metrics/count-series.js'
import {RunMetrics} from '../../../src/runtime/metrics/run-metrics.js'

interface Sample {
  labels: Record<string, string | number>
  value: number
  metricName?: string
}

async function samples(registry: Registry, name: string): Promise<Sample[]> {
  const metric = registry.getSingleMetric(name)
  if (!metric) throw new Error(`no metric ${name}`)
  return (await metric.get()).values as Sample[]
}

function observed(): {counters: Counters; registry: Registry; metrics: RunMetrics} {
  const registry = new Registry()
  const metrics = new RunMetrics(registry)
  const counters = new Counters()
  counters.observe(metrics)
  return {counters, registry, metrics}
}

describe('RunMetrics (the run counters as Prometheus metrics)', () => {
  it('exports every summary row so that the series of each row add up to its count', async () => {
    const {counters, registry} = observed()
    counters.add('source replay', 'produced', 500)
    counters.add('source replay', 'produced', 250)
    counters.add('process', 'consumed', 750)
    counters.add('sink csv', 'written', 700)
    counters.add('process', 'dead_lettered', 30, {code: 'ETL_RECORD_INVALID'})
    counters.add('process', 'dead_lettered', 20, {code: 'ETL_VALUE_NOT_FINITE'})
    counters.add('sink csv', 'sink_retry', 2)
    counters.add('chart price', 'rendered', 3)
    for (const {scope, event, count} of counters.entries()) {
      const series = countSeries(scope, event)
      const matching = (await samples(registry, series.name)).filter(
        (s) =>
          s.labels.stage === series.labels.stage &&
          s.labels.plugin === series.labels.plugin &&
          s.labels.outcome === series.labels.outcome,
      )
      const total = matching.reduce((sum, s) => sum + s.value, 0)
      expect(total, `${scope} ${event}`).to.equal(count)
    }
  })

  it('keeps the dead letters apart by error code', async () => {
    const {counters, registry} = observed()
    counters.add('process', 'dead_lettered', 3, {code: 'ETL_RECORD_INVALID'})
    counters.add('process', 'dead_lettered', 1, {code: 'ETL_RECORD_LATE'})
    counters.add('process', 'dead_lettered', 2, {code: 'ETL_RECORD_INVALID'})
    const byCode = Object.fromEntries(
      (await samples(registry, 'etl_records_total')).map((s) => [String(s.labels.code), s.value]),
    )
    expect(byCode).to.deep.equal({ETL_RECORD_INVALID: 5, ETL_RECORD_LATE: 1})
  })

  it('shows the buffer peak as the peak (a gauge holding the running total of its increases)', async () => {
    const {counters, registry} = observed()
    counters.add('source replay', 'buffer_peak', 40)
    counters.add('source replay', 'buffer_peak', 60)
    const [peak] = await samples(registry, 'etl_source_buffer_peak_records')
    expect(peak.value).to.equal(counters.get('source replay', 'buffer_peak')).and.to.equal(100)
  })

  it('turns durations into histograms and levels into gauges, by stage and plugin', async () => {
    const {counters, registry} = observed()
    counters.timed('process', 'batch', 0.02)
    counters.timed('process', 'batch', 0.2)
    counters.timed('sink csv', 'flush', 0.003)
    counters.level('source replay', 'buffer_records', 120)
    counters.level('source replay', 'buffer_records', 80)
    const batch = await samples(registry, 'etl_process_batch_duration_seconds')
    expect(batch.find((s) => s.metricName === 'etl_process_batch_duration_seconds_count')?.value).to.equal(2)
    expect(batch.find((s) => s.metricName === 'etl_process_batch_duration_seconds_sum')?.value).to.be.closeTo(
      0.22,
      1e-9,
    )
    const le = batch.find((s) => s.metricName?.endsWith('_bucket') && s.labels.le === 0.05)
    expect(le?.value, 'one batch took at most 50 ms').to.equal(1)
    const flush = await samples(registry, 'etl_sink_flush_duration_seconds')
    expect(flush.find((s) => s.metricName?.endsWith('_count'))?.labels).to.include({stage: 'sink', plugin: 'csv'})
    const [buffer] = await samples(registry, 'etl_source_buffer_records')
    expect(buffer).to.deep.include({value: 80, labels: {stage: 'source', plugin: 'replay'}})
  })

  it('puts event latencies in buckets up to an hour, the rest in +Inf, and state sizes in a gauge', async () => {
    const {counters, registry} = observed()
    counters.timedEach('sink csv', 'event_latency', [0.004, 0.3, 7200])
    counters.level('transform sma', 'state_bytes', 512)
    const latency = await samples(registry, 'etl_event_latency_seconds')
    const bucket = (le: number | string) =>
      latency.find((s) => s.metricName?.endsWith('_bucket') && s.labels.le === le)?.value
    expect([bucket(0.005), bucket(0.5), bucket(3600), bucket('+Inf')]).to.deep.equal([1, 2, 2, 3])
    expect(latency.find((s) => s.metricName?.endsWith('_count'))?.labels).to.include({stage: 'sink', plugin: 'csv'})
    const [state] = await samples(registry, 'etl_transform_state_bytes')
    expect(state).to.deep.include({value: 512, labels: {stage: 'transform', plugin: 'sma'}})
  })

  it('stamps the time a source last had records acknowledged', async () => {
    const {counters, registry} = observed()
    const before = Date.now() / 1000
    counters.add('source replay', 'produced', 10)
    const [stamp] = await samples(registry, 'etl_source_last_produced_timestamp_seconds')
    expect(stamp.value).to.be.within(before, Date.now() / 1000)
    counters.add('sink kafka', 'produced', 10)
    expect(await samples(registry, 'etl_source_last_produced_timestamp_seconds')).to.have.length(1)
  })

  it('renders Prometheus text with the summary totals', async () => {
    const {counters, registry} = observed()
    registry.setDefaultLabels({pipeline: 'demo'})
    counters.add('sink csv', 'written', 12)
    const text = await registry.metrics()
    expect(text).to.contain('etl_records_total{stage="sink",plugin="csv",outcome="written",pipeline="demo"} 12')
  })
})
