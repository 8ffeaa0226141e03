/**
 * Wires a validated pipeline to Kafka and runs its stages. By default both stages run in this process; `stage`
 * picks one, so the process stage can be scaled out over the consumer group. A finite source (a replay) ends the run
 * once the process stage has committed everything the source produced.
 */
import type {PipelineConfig, StageConfig} from './config/load-pipeline.js'
import {Counters} from './counters.js'
import {EtlError} from './errors.js'
import {ensureLocalBroker, resolveBrokers, type LocalBrokerLease} from './broker-resolution.js'
import type {Logger} from './logger.js'
import {createMessageBus} from './kafka/create-bus.js'
import type {MessageBus} from './kafka/message-bus.js'
import type {EtlRecord} from './plugin-types.js'
import {stateDir} from './paths.js'
import {ChartRunner, type RenderedChart} from './charts/chart-runner.js'
import {serveCharts, toChartUpdate} from './charts/run-charts.js'
import {runSourceStage, type SourceStageInputs, type SourceStageResult} from './stages/source-stage.js'
import {runSourceStageInWorker, sourceInWorker} from './stages/source-worker.js'
import {startProcessStage, type ProcessStage} from './stages/process-stage.js'
import {describeTarget, readCatchUpTarget, untilCaughtUpProblem} from './stages/catch-up.js'
import {PipelineMetrics, type MetricsSettings} from './metrics/pipeline-metrics.js'
import {totalLag} from './metrics/consumer-lag.js'
import type {RunProgress} from './progress/run-progress.js'
import {messageKeyOf} from './stages/message-key.js'
import {TapHub} from './tap/tap-hub.js'

export type StageSelection = 'all' | 'source' | 'process'

export interface RunOptions {
  stage?: StageSelection
  /** --brokers: overrides the pipeline and $KAFKA_BROKERS. */
  brokers?: string
  /** Start the local broker when the default address has none (default true). */
  localBroker?: boolean
  /**
   * --until-caught-up: the process stage stops by itself once the partitions it owns are committed up to the topic's
   * end offsets as read at the start (src/runtime/stages/catch-up.ts); with both stages, the source must be finite.
   */
  untilCaughtUp?: boolean
  logger: Logger
  signal: AbortSignal
  /** Aborted when a stop may not wait any longer: the source stage then gives up records the broker did not take. */
  forceSignal?: AbortSignal
  stateRoot?: string
  /** Called after each chart render. */
  onChartRender?: (rendered: RenderedChart) => void
  /** Serve the live chart page on this port while the pipeline runs (0 = any free port). */
  servePort?: number
  serveHost?: string
  onServing?: (url: string) => void
  /** --metrics, --metrics-port, --metrics-host: override the pipeline's `metrics:` field by field. */
  metrics?: Partial<MetricsSettings>
  /** Called with the /metrics URL once the endpoint listens. */
  onMetricsServing?: (url: string) => void
  /** The status line or progress log of `etl run` (src/runtime/progress/), fed while the stages run. */
  progress?: RunProgress
  /** Swap in another Kafka client (tests, a faster client). */
  createBus?: (brokers: string[], clientId: string, logger: Logger) => MessageBus | Promise<MessageBus>
}

export interface RunSummary {
  counters: Counters
  brokers: string[]
}

export async function runPipeline(pipeline: PipelineConfig, options: RunOptions): Promise<RunSummary> {
  const {logger} = options
  const stage = stageToRun(pipeline, options.stage)
  const catchUpProblem = options.untilCaughtUp ? untilCaughtUpProblem(pipeline, stage) : undefined
  if (catchUpProblem) throw new EtlError('ETL_CONFIG_INVALID', catchUpProblem, {exitCode: 2})
  const stateRoot = options.stateRoot ?? stateDir()
  const counters = new Counters()
  for (const warning of pipeline.warnings) logger.warn(warning)

  const {brokers, origin} = resolveBrokers(options.brokers, pipeline.kafka.brokers)
  let lease: LocalBrokerLease = {release: async () => undefined}
  if (options.localBroker !== false && origin !== 'flag') lease = await ensureLocalBroker(brokers, stateRoot, logger)

  const createBus =
    options.createBus ??
    ((b, clientId, l) => createMessageBus(pipeline.kafka.client, {brokers: b, clientId, logger: l}))
  const bus = await createBus(brokers, pipeline.kafka.clientId, logger.child('kafka'))
  let metrics: PipelineMetrics | undefined
  try {
    await bus.checkConnection()
    const {topic, partitions, replicationFactor} = pipeline.kafka
    await bus.ensureTopic({topic, partitions, replicationFactor})
    const tap = tapOf(pipeline, stage, options)
    metrics = await startMetrics(pipeline, stage, {bus, counters, options, tap})
    logger.info(`pipeline ${pipeline.name}: ${describeStages(pipeline, stage)}`, {brokers: brokers.join(','), topic})
    const {groupId} = pipeline.kafka
    const lag = stage === 'source' ? undefined : () => totalLag(bus, groupId, topic)
    options.progress?.start({pipelineName: pipeline.name, counters, lag, logger})
    const shared = {pipeline, bus, logger, counters, stateRoot, forceSignal: options.forceSignal, tap}
    const runSource = sourceRunner(pipeline, stage, options, brokers)
    if (stage === 'source') await runSource({...shared, signal: options.signal})
    else {
      const catchUp = await catchUpOf(shared, stage, options)
      if (catchUp !== 'nothing new') await runWithCharts({...shared, runSource}, stage, options, catchUp)
    }
  } finally {
    options.progress?.stop()
    await metrics?.close().catch(() => undefined)
    await bus.close().catch(() => undefined)
    await lease.release().catch((error) => logger.warn(`stopping the local broker failed: ${String(error)}`))
  }
  return {counters, brokers}
}

/** The Prometheus endpoint when the pipeline's `metrics:` or the flags turn it on (src/runtime/metrics/). */
async function startMetrics(
  pipeline: PipelineConfig,
  stage: StageSelection,
  {bus, counters, options, tap}: {bus: MessageBus; counters: Counters; options: RunOptions; tap?: TapHub},
): Promise<PipelineMetrics | undefined> {
  const settings = {...pipeline.metrics, ...options.metrics}
  if (!settings.enabled) return undefined
  const {kafka} = pipeline
  const metrics = await PipelineMetrics.start({
    pipelineName: pipeline.name,
    bus,
    counters,
    settings,
    consumer:
      stage === 'source' ? undefined : {groupId: kafka.groupId, topic: kafka.topic, sinks: pipeline.sinks.length},
    sourceBufferCapacity: stage === 'process' ? undefined : kafka.producerBuffer.maxRecords,
    tap,
  })
  options.onMetricsServing?.(metrics.url)
  return metrics
}

/** `etl tap`'s hub, where the metrics endpoint serves it and the process stage runs here (src/runtime/tap/). */
function tapOf(pipeline: PipelineConfig, stage: StageSelection, options: RunOptions): TapHub | undefined {
  if (stage === 'source' || !{...pipeline.metrics, ...options.metrics}.enabled) return undefined
  const places = {steps: pipeline.transforms.length, sinks: pipeline.sinks.map((sink) => sink.label)}
  return new TapHub(places, messageKeyOf(pipeline.kafka.key))
}

/** The stages this run runs: without a source the pipeline consumes a topic something else fills (process only). */
function stageToRun(pipeline: PipelineConfig, asked: StageSelection | undefined): StageSelection {
  if (pipeline.sources.length === 0 && asked === 'source') {
    throw new EtlError('ETL_CONFIG_INVALID', `${pipeline.file} has no source: there is no source stage to run`, {
      exitCode: 2,
    })
  }
  return pipeline.sources.length > 0 ? (asked ?? 'all') : 'process'
}

/** The pipeline's source when it has exactly one: only a single source may run in a worker (source-entries.ts). */
function onlySource(pipeline: PipelineConfig): StageConfig | undefined {
  return pipeline.sources.length === 1 ? pipeline.sources[0] : undefined
}

/**
 * `source.worker`: the same stage in a worker thread, with its own Kafka client (a second CPU core). The thread
 * builds its own client from the pipeline file, so `auto` leaves it off when a caller swapped in another one.
 */
function sourceRunner(
  pipeline: PipelineConfig,
  stage: StageSelection,
  options: RunOptions,
  brokers: string[],
): (inputs: SourceStageInputs) => Promise<SourceStageResult> {
  const inWorker = sourceInWorker(onlySource(pipeline), stage, options.createBus === undefined)
  return (inputs) => (inWorker ? runSourceStageInWorker(inputs, brokers) : runSourceStage(inputs))
}

/**
 * --until-caught-up with the process stage alone: the end offsets it stops at, read now, or 'nothing new' when the
 * group has committed them all already (then no stage starts: nothing is written). Undefined: no such target.
 */
async function catchUpOf(
  {pipeline, bus, logger}: {pipeline: PipelineConfig; bus: MessageBus; logger: Logger},
  stage: 'all' | 'process',
  options: RunOptions,
): Promise<Map<number, bigint> | 'nothing new' | undefined> {
  if (!options.untilCaughtUp || stage !== 'process') return undefined
  const {target, nothingNew} = await readCatchUpTarget(bus, pipeline.kafka)
  if (nothingNew) {
    logger.info(`until caught up: nothing new on ${pipeline.kafka.topic}, the group committed up to its end offsets`)
    return 'nothing new'
  }
  logger.info(`until caught up: processing ${pipeline.kafka.topic} up to its end offsets`, {
    end: describeTarget(target),
  })
  return target
}

/** The process stage (alone, or with the source stage) with the pipeline's charts and, if asked, the live page. */
async function runWithCharts(
  shared: Omit<SharedStageInputs, 'onWritten'>,
  stage: 'all' | 'process',
  options: RunOptions,
  catchUp?: Map<number, bigint>,
): Promise<void> {
  const {pipeline, logger, counters, stateRoot} = shared
  const {signal} = options
  const server =
    options.servePort === undefined
      ? undefined
      : await serveCharts(options.servePort, options.serveHost, pipeline, logger)
  if (server) options.onServing?.(server.url)
  const onRender = (rendered: RenderedChart) => {
    server?.publish(toChartUpdate(rendered))
    options.onChartRender?.(rendered)
  }
  const charts = await ChartRunner.start({
    charts: pipeline.charts,
    pipelineName: pipeline.name,
    pipelineDir: pipeline.dir,
    stateRoot,
    logger,
    counters,
    signal,
    onRender,
    dashboard: server?.dashboard,
  }).catch(async (error) => {
    await server?.close()
    throw error
  })
  charts.watch()
  const alertsFromStream = pipeline.dashboard.alerts?.kind === 'stream' ? server?.dashboard : undefined
  const onWritten = (records: EtlRecord[]) => {
    charts.feed(records)
    alertsFromStream?.feedRecords(records)
  }
  const withCharts: SharedStageInputs = {...shared, onWritten}
  try {
    if (stage === 'process') await runProcess(withCharts, signal, catchUp)
    else await runBoth(withCharts, signal)
  } finally {
    await charts.stop()
    await server?.close()
  }
}

interface SharedStageInputs {
  pipeline: PipelineConfig
  bus: MessageBus
  logger: Logger
  counters: Counters
  stateRoot: string
  forceSignal?: AbortSignal
  /** runSourceStage, or its worker-thread twin when the source has `worker: true`. */
  runSource: (inputs: SourceStageInputs) => Promise<SourceStageResult>
  onWritten: (records: EtlRecord[]) => void
  tap?: TapHub
}

/**
 * The process stage alone: until stopped, or with `catchUp` until the partitions it owns are committed up to it (the
 * same stop as after a finite source, then the same shutdown: sinks flushed, what transforms hold given up).
 */
async function runProcess(
  shared: SharedStageInputs,
  signal: AbortSignal,
  catchUp: Map<number, bigint> | undefined,
): Promise<void> {
  const control = linkedController(signal)
  const processing = await startProcessStage({...shared, signal: control.signal})
  if (catchUp) {
    await processing.stopWhenCaughtUp(catchUp, {ownedOnly: true}).catch(async (error) => {
      control.abort()
      await processing.done.catch(() => undefined)
      throw error
    })
  }
  await processing.done
  if (catchUp && !signal.aborted) shared.logger.info('until caught up: the partitions this process owned are caught up')
}

/** How long a stop (Ctrl-C) lets the process stage work through what the source delivered before it stopped. */
const STOP_CATCH_UP_MS = 5000

async function runBoth(shared: SharedStageInputs, signal: AbortSignal): Promise<void> {
  // Each stage gets its own controller: when one fails, the other is stopped cleanly rather than left running. The
  // process stage is not stopped by the run's signal directly: on Ctrl-C the source stops first and delivers what it
  // buffered, then the process stage works through exactly that and stops, so everything polled reaches the sinks
  // (the grace period bounds the wait; a second Ctrl-C forces the exit).
  const sourceControl = linkedController(signal)
  const processControl = new AbortController()
  const processing = await startProcessStage({...shared, signal: processControl.signal})
  const processDone = processing.done.catch((error) => {
    sourceControl.abort()
    throw error
  })
  const sourceDone = shared
    .runSource({...shared, signal: sourceControl.signal})
    .then(async ({drainTarget}) => {
      // The source stopped (Ctrl-C) or ran out (a finite replay): finish processing what it produced, then end the
      // run. The target is the offset after the source's last record per partition, not the topic's end offset: a
      // transactionally written topic ends in a commit marker, which no consumer receives as a record.
      if (!signal.aborted) {
        shared.logger.info('source finished; processing the rest of the topic before stopping')
        await processing.stopWhenCaughtUp(drainTarget)
        return
      }
      await catchUpBeforeStop(processing, drainTarget, shared.logger, processControl)
    })
    .catch((error) => {
      processControl.abort()
      throw error
    })
  const results = await Promise.allSettled([sourceDone, processDone])
  const failure = results.find((result) => result.status === 'rejected') as PromiseRejectedResult | undefined
  if (failure) throw failure.reason
}

/**
 * A stop waits a moment for the process stage to reach what the source delivered, but not for a large backlog: what
 * it has not processed stays uncommitted on the topic, and the next run processes it.
 */
async function catchUpBeforeStop(
  processing: ProcessStage,
  drainTarget: Map<number, bigint>,
  logger: Logger,
  processControl: AbortController,
): Promise<void> {
  logger.info('stopping: processing what the source delivered before it stopped')
  let timer: NodeJS.Timeout | undefined
  const caughtUp = await Promise.race([
    processing.stopWhenCaughtUp(drainTarget).then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STOP_CATCH_UP_MS))),
  ]).finally(() => clearTimeout(timer))
  if (caughtUp) return
  logger.info(
    `stopping before the process stage caught up (${STOP_CATCH_UP_MS / 1000} s): ` +
      'the rest stays on the topic, uncommitted, for the next run',
  )
  processControl.abort()
}

function linkedController(parent: AbortSignal): AbortController {
  const controller = new AbortController()
  if (parent.aborted) controller.abort()
  else parent.addEventListener('abort', () => controller.abort(), {once: true})
  return controller
}

function describeStages(pipeline: PipelineConfig, stage: StageSelection): string {
  const labels = pipeline.sources.map((source) => source.label).join(' + ')
  const source = `${labels || '(no source)'} → ${pipeline.kafka.topic}`
  const process = [
    pipeline.kafka.topic,
    ...pipeline.transforms.map((t) => t.label),
    ...pipeline.sinks.map((s) => s.label),
  ].join(' → ')
  if (stage === 'source') return source
  if (stage === 'process') return process
  return `${source} → ${process.slice(pipeline.kafka.topic.length + 3)}`
}
