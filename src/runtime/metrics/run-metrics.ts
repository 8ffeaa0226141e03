/**
 * The run's counts, durations and levels as Prometheus metrics: a CountersObserver (src/runtime/counters.ts) on the
 * run's Counters, so every count the summary prints is exported as it is made and the scraped totals equal the
 * summary. Series are labelled by stage, plugin and outcome (count-series.ts), never by a config value.
 */
import {Counter, Gauge, Histogram, type Registry} from 'prom-client'
import type {CountDetail, CountersObserver} from '../counters.js'
import {COUNT_LABELS, countSeries, scopeLabels, type CountMetricName} from './count-series.js'
import {RateWindow} from './rate-window.js'

/** Seconds; from a quick batch of a few records to a flush that waits on a slow disk or database. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** Seconds from an event to its record's write: sub-second for a live feed, up to an hour (a replay lands in +Inf). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]

/** The durations the stages report (Counters.timed, Counters.timedEach), by event. */
const TIMED: Record<string, {name: string; help: string; buckets?: number[]}> = {
  batch: {
    name: 'etl_process_batch_duration_seconds',
    help: 'Time the process stage took for one consumed batch: transforms, sink writes and flushes, state checkpoint.',
  },
  flush: {name: 'etl_sink_flush_duration_seconds', help: "Time one sink's flush took (retries included)."},
  delivery: {
    name: 'etl_source_delivery_duration_seconds',
    help: "Time one delivery of the source's records to Kafka took (a transaction with its checkpoint, retries in).",
  },
  render: {name: 'etl_chart_render_duration_seconds', help: 'Time one chart render took.'},
  event_latency: {
    name: 'etl_event_latency_seconds',
    help:
      "Time from a record's event time (the pipeline's metrics.eventTime fields) to its write by the sink: the " +
      'end-to-end latency of the pipeline.',
    buckets: LATENCY_BUCKETS,
  },
}

/** The levels the stages report (Counters.level), by event. */
const LEVELS: Record<string, {name: string; help: string}> = {
  buffer_records: {
    name: 'etl_source_buffer_records',
    help: "Records the source stage holds that Kafka has not acknowledged yet (kafka.producerBuffer's fill).",
  },
  partitions_assigned: {
    name: 'etl_consumer_assigned_partitions',
    help: "Partitions of the pipeline's topic assigned to this process stage.",
  },
  sinks_open: {name: 'etl_sinks_open', help: 'Sinks created and not yet closed.'},
  state_bytes: {
    name: 'etl_transform_state_bytes',
    help:
      "Size of a stateful transform's saved state (its open windows, its keys), as JSON, summed over the partitions " +
      'this process holds.',
  },
}

const STAGE_LABELS = ['stage', 'plugin'] as const

export class RunMetrics implements CountersObserver {
  private readonly counts: Record<Exclude<CountMetricName, 'etl_source_buffer_peak_records'>, Counter>
  private readonly peak: Gauge
  /** Running totals of the gauge-typed counts (a peak is the sum of its increases). */
  private readonly gaugeTotals = new Map<string, number>()
  private readonly histograms = new Map<string, Histogram>()
  private readonly levels = new Map<string, Gauge>()
  private readonly lastProduced: Gauge
  /** etl_records_total per series key (stage, plugin, outcome), for the records/s gauge. */
  private readonly recordTotals = new Map<string, number>()
  private readonly rateWindow = new RateWindow(() => this.recordTotals)

  constructor(registry: Registry) {
    const registers = [registry]
    const counter = (name: string, help: string) => new Counter({name, help, labelNames: COUNT_LABELS, registers})
    this.counts = {
      etl_records_total: counter(
        'etl_records_total',
        'Records per stage, plugin and outcome (produced, consumed, written, dead_lettered, rejected, skipped_…): ' +
          'the counts of the run summary.',
      ),
      etl_retries_total: counter('etl_retries_total', 'Retried calls (a sink write or flush, a source poll).'),
      etl_chart_renders_total: counter(
        'etl_chart_renders_total',
        'Chart renders, by outcome (rendered, render_failed).',
      ),
    }
    this.peak = new Gauge({
      name: 'etl_source_buffer_peak_records',
      help: 'Most records the source buffer held at once in this run.',
      labelNames: COUNT_LABELS,
      registers,
    })
    for (const [event, {name, help, buckets = DURATION_BUCKETS}] of Object.entries(TIMED))
      this.histograms.set(event, new Histogram({name, help, labelNames: STAGE_LABELS, buckets, registers}))
    for (const [event, {name, help}] of Object.entries(LEVELS))
      this.levels.set(event, new Gauge({name, help, labelNames: STAGE_LABELS, registers}))
    this.lastProduced = new Gauge({
      name: 'etl_source_last_produced_timestamp_seconds',
      help:
        'When the source stage last had records acknowledged by Kafka (Unix time): a source that stopped ' +
        'polling successfully stops moving it.',
      labelNames: STAGE_LABELS,
      registers,
    })
    const rates = this.rateWindow
    const totals = this.recordTotals
    new Gauge({
      name: 'etl_records_per_second',
      help: 'etl_records_total per second over the last 10 s (per stage, plugin and outcome).',
      labelNames: ['stage', 'plugin', 'outcome'],
      registers,
      collect() {
        this.reset()
        for (const [key, rate] of rates.rates()) {
          const [stage, plugin, outcome] = key.split('\u0000')
          if (totals.has(key)) this.set({stage, plugin, outcome}, rate)
        }
      },
    })
  }

  start(): void {
    this.rateWindow.start()
  }

  stop(): void {
    this.rateWindow.stop()
  }

  counted(scope: string, event: string, amount: number, detail?: CountDetail): void {
    const series = countSeries(scope, event)
    const labels = detail?.code === undefined ? series.labels : {...series.labels, code: detail.code}
    if (series.type === 'gauge') {
      const key = `${scope}\u0000${event}`
      const total = (this.gaugeTotals.get(key) ?? 0) + amount
      this.gaugeTotals.set(key, total)
      this.peak.set(labels, total)
      return
    }
    this.counts[series.name as keyof RunMetrics['counts']].inc(labels, amount)
    if (series.name === 'etl_records_total') {
      const key = `${series.labels.stage}\u0000${series.labels.plugin}\u0000${event}`
      this.recordTotals.set(key, (this.recordTotals.get(key) ?? 0) + amount)
    }
    if (event === 'produced' && series.labels.stage === 'source')
      this.lastProduced.set(scopeLabels(scope), Date.now() / 1000)
  }

  timed(scope: string, event: string, seconds: number): void {
    this.histograms.get(event)?.observe(scopeLabels(scope), seconds)
  }

  timedEach(scope: string, event: string, seconds: readonly number[]): void {
    const histogram = this.histograms.get(event)
    if (!histogram) return
    const series = histogram.labels(scopeLabels(scope))
    for (const value of seconds) series.observe(value)
  }

  level(scope: string, event: string, value: number): void {
    this.levels.get(event)?.set(scopeLabels(scope), value)
  }
}
