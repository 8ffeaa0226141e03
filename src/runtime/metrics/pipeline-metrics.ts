/**
 * `etl run --metrics`: one Prometheus registry per run (never prom-client's global one, so two runs in one process,
 * or a test, do not share series), fed by the run's Counters (run-metrics.ts), the consumer lag read at scrape time
 * (consumer-lag.ts), Node's process metrics, and served with /healthz and /readyz (metrics-server.ts). Every series
 * carries the pipeline's name as `pipeline`; no label ever holds a config value.
 */
import {collectDefaultMetrics, Gauge, Registry} from 'prom-client'
import type {Counters} from '../counters.js'
import type {MessageBus} from '../kafka/message-bus.js'
import {registerConsumerLag} from './consumer-lag.js'
import {KafkaProbe, type KafkaProbeOptions} from './kafka-probe.js'
import {startMetricsServer, type MetricsServer} from './metrics-server.js'
import type {TapHub} from '../tap/tap-hub.js'
import {Readiness} from './readiness.js'
import {RunMetrics} from './run-metrics.js'

/** Where the endpoint listens (the pipeline's `metrics:`, overridden by `etl run --metrics-port/--metrics-host`). */
export interface MetricsSettings {
  enabled: boolean
  /** 0 = any free port. */
  port: number
  host: string
}

export interface PipelineMetricsInputs {
  pipelineName: string
  bus: MessageBus
  counters: Counters
  settings: Pick<MetricsSettings, 'port' | 'host'>
  /** The process stage runs here: its group's lag and its readiness (assignment, sinks) are exported. */
  consumer?: {groupId: string; topic: string; sinks: number}
  /** kafka.producerBuffer.maxRecords when the source stage runs here, exported as the buffer's capacity. */
  sourceBufferCapacity?: number
  probe?: KafkaProbeOptions
  /** The process stage's tap, served as /tap (tap-endpoint.ts). */
  tap?: TapHub
}

export class PipelineMetrics {
  private constructor(
    readonly registry: Registry,
    private readonly run: RunMetrics,
    private readonly probe: KafkaProbe,
    private readonly server: MetricsServer,
    readonly readiness: Readiness,
  ) {}

  get url(): string {
    return this.server.url
  }

  get port(): number {
    return this.server.port
  }

  /** Registers every metric, starts observing `counters` and listens; rejects with ETL_METRICS_LISTEN. */
  static async start(inputs: PipelineMetricsInputs): Promise<PipelineMetrics> {
    const {registry, run, probe, readiness} = registerPipelineMetrics(inputs)
    const server = await startMetricsServer({
      registry,
      readiness: () => readiness.report(),
      tap: inputs.tap,
      ...inputs.settings,
    })
    inputs.counters.observe(run)
    inputs.counters.observe(readiness)
    run.start()
    probe.start()
    return new PipelineMetrics(registry, run, probe, server, readiness)
  }

  async close(): Promise<void> {
    this.run.stop()
    this.probe.stop()
    await this.server.close()
  }
}

/**
 * Every metric of a run in a new registry, nothing started yet (the probe, the rate window): start() serves it, and
 * the Grafana dashboard's test lists its names, so docs/grafana-dashboard.json can only name series that exist.
 */
export function registerPipelineMetrics(inputs: Omit<PipelineMetricsInputs, 'counters' | 'settings' | 'tap'>) {
  const registry = new Registry()
  registry.setDefaultLabels({pipeline: inputs.pipelineName})
  collectDefaultMetrics({register: registry})
  const run = new RunMetrics(registry)
  if (inputs.consumer) registerConsumerLag(registry, {bus: inputs.bus, ...inputs.consumer})
  if (inputs.sourceBufferCapacity !== undefined) {
    new Gauge({
      name: 'etl_source_buffer_capacity_records',
      help: 'Most records the source buffer holds (kafka.producerBuffer.maxRecords).',
      registers: [registry],
    }).set(inputs.sourceBufferCapacity)
  }
  const probe = new KafkaProbe(inputs.bus, inputs.probe)
  const readiness = new Readiness({kafka: () => probe.state, sinks: inputs.consumer?.sinks})
  new Gauge({
    name: 'etl_kafka_up',
    help: 'Whether the last Kafka probe (every few seconds) got an answer: 1 or 0.',
    registers: [registry],
    collect() {
      this.set(probe.state.reachable ? 1 : 0)
    },
  })
  return {registry, run, probe, readiness}
}
