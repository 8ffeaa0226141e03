/**
 * Source stage: runs the source plugins (one, or several side by side: `sources:`) and produces what they emit to
 * the topic, keyed (message-key.ts) so the records of one key stay in order on one partition. emit() queues into a
 * bounded buffer (source-buffer.ts) that one loop delivers in order (source-delivery.ts): with the source's
 * checkpoints in Kafka transactions when it passes them, else with the plain idempotent producer. A source with
 * `restore` gets its last committed checkpoint back before it runs. Each of several sources has its own checkpoint
 * (keyed by its label) and transactional id, so a restart fences and resumes each on its own; one failing stops the
 * others, and the stage fails with its error.
 */
import type {PipelineConfig, StageConfig} from '../config/load-pipeline.js'
import type {Counters} from '../counters.js'
import type {Logger} from '../logger.js'
import type {BusMessage, MessageBus} from '../kafka/message-bus.js'
import {createPluginContext, scopeOf} from '../plugin-context.js'
import type {EtlRecord, SourceInstance} from '../plugin-types.js'
import {mergeEnds, sourceStateKey} from '../state/source-state-store.js'
import {callPlugin} from './call-plugin.js'
import {messageKeyOf, type MessageKeyOf} from './message-key.js'
import {SourceBuffer} from './source-buffer.js'
import {SourceDelivery} from './source-delivery.js'

export interface SourceStageInputs {
  pipeline: PipelineConfig
  bus: MessageBus
  logger: Logger
  counters: Counters
  stateRoot: string
  signal: AbortSignal
  /**
   * Aborted when a stop may not wait any longer (the shutdown grace period ran out): records still buffered because
   * the broker does not answer are then given up (counted as `undelivered`) instead of waited for.
   */
  forceSignal?: AbortSignal
}

export interface SourceStageResult {
  /**
   * Per partition of the topic, the offset right after the last record this source has in it (this run's and, for a
   * transactional source, earlier runs'): a finite run is processed once the process stage committed up to it.
   */
  drainTarget: Map<number, bigint>
}

/**
 * `etl-source-<pipeline name>`, and `etl-source-<pipeline name>-<source label>` for each of several sources: the same
 * on every run, so a restarted source stage fences the one it replaces. A single source keeps the short id, so the
 * transactions of pipelines from before `sources:` stay fenced.
 */
export function sourceTransactionalId(pipelineName: string, label?: string): string {
  return label === undefined ? `etl-source-${pipelineName}` : `etl-source-${pipelineName}-${label}`
}

export async function runSourceStage(inputs: SourceStageInputs): Promise<SourceStageResult> {
  const {sources} = inputs.pipeline
  // A pipeline without a source consumes a topic something else fills.
  if (sources.length === 0) return {drainTarget: new Map()}
  if (sources.length === 1) return runOneSource(inputs, sources[0]!, sourceTransactionalId(inputs.pipeline.name))
  return runSources(inputs, sources)
}

/** Several sources side by side: the first to fail stops the others, and its error is the stage's. */
async function runSources(inputs: SourceStageInputs, sources: StageConfig[]): Promise<SourceStageResult> {
  const siblings = new AbortController()
  const signal = AbortSignal.any([inputs.signal, siblings.signal])
  let failure: {error: unknown} | undefined
  const results = await Promise.all(
    sources.map((stage) =>
      runOneSource({...inputs, signal}, stage, sourceTransactionalId(inputs.pipeline.name, stage.label)).catch(
        (error: unknown) => {
          failure ??= {error}
          siblings.abort()
          return undefined
        },
      ),
    ),
  )
  if (failure) throw failure.error
  const drainTarget = results.reduce((all, result) => mergeEnds(all, result!.drainTarget), new Map<number, bigint>())
  return {drainTarget}
}

async function runOneSource(
  inputs: SourceStageInputs,
  stage: StageConfig,
  transactionalId: string,
): Promise<SourceStageResult> {
  const run = new RunningSourceStage(inputs, stage, transactionalId)
  try {
    return await run.run()
  } finally {
    await run.close()
  }
}

/** One run of the source plugin, from create() to close(), with the buffer and delivery behind its emit(). */
class RunningSourceStage {
  /** Aborted by the run's signal, and also when delivery fails for good, so a source waiting to poll stops at once. */
  private readonly control = new AbortController()
  private readonly force: AbortSignal
  private readonly delivery: SourceDelivery
  private readonly buffer: SourceBuffer
  private readonly keyOf: MessageKeyOf
  private source: SourceInstance | undefined

  constructor(
    private readonly inputs: SourceStageInputs,
    private readonly stage: StageConfig,
    private readonly transactionalId: string,
  ) {
    this.force = inputs.forceSignal ?? new AbortController().signal
    this.keyOf = messageKeyOf(inputs.pipeline.kafka.key)
    if (inputs.signal.aborted) this.stopSource()
    else inputs.signal.addEventListener('abort', this.stopSource, {once: true})
    const stageLogger = inputs.logger.child('source')
    this.delivery = this.createDelivery(stageLogger)
    this.buffer = new SourceBuffer({
      settings: inputs.pipeline.kafka.producerBuffer,
      delivery: this.delivery,
      logger: stageLogger,
      counters: inputs.counters,
      scope: scopeOf(stage),
      onFatal: this.stopSource,
    })
  }

  private readonly stopSource = (): void => this.control.abort()

  /** Creates the source, restores its checkpoint, runs it to its end and delivers what it emitted. */
  async run(): Promise<SourceStageResult> {
    const {inputs, stage, buffer} = this
    const source = await this.create()
    if (source.restore) await this.restore(source)
    await callPlugin(stage, 'source', 'run', () => source.run(this.emit, this.control.signal)).catch((error) => {
      // Delivery failed for good and stopped the source: that failure is the one to report.
      throw buffer.failure !== undefined ? buffer.failure : error
    })
    await buffer.close(this.force)
    if (buffer.failure !== undefined) throw buffer.failure
    inputs.logger.info(inputs.signal.aborted ? 'source stopped' : 'source finished', {
      ...(inputs.pipeline.sources.length > 1 ? {source: stage.label} : {}),
      produced: inputs.counters.get(scopeOf(stage), 'produced'),
    })
    return {drainTarget: await this.drainTarget()}
  }

  /** Closes the source (if it was created) and the delivery; a source failing to close is only logged. */
  async close(): Promise<void> {
    this.inputs.signal.removeEventListener('abort', this.stopSource)
    await this.source
      ?.close?.()
      .catch((error) => this.inputs.logger.warn(`closing the source failed: ${String(error)}`))
    await this.delivery.close()
  }

  private createDelivery(logger: Logger): SourceDelivery {
    const {pipeline, bus} = this.inputs
    return new SourceDelivery({
      bus,
      logger,
      topic: pipeline.kafka.topic,
      stateTopic: pipeline.kafka.sourceStateTopic,
      stateKey: sourceStateKey(pipeline.name, this.stage.label),
      transactionalId: this.transactionalId,
      replicationFactor: pipeline.kafka.replicationFactor,
      label: this.stage.label,
      type: this.stage.type,
      force: this.force,
    })
  }

  private async create(): Promise<SourceInstance> {
    const {inputs, stage} = this
    const context = createPluginContext({
      ...inputs,
      signal: this.control.signal,
      stage,
      pipelineName: inputs.pipeline.name,
      pipelineDir: inputs.pipeline.dir,
    })
    this.source = await callPlugin(stage, 'source', 'create', async () => {
      return (await stage.definition.create(stage.config, context)) as SourceInstance
    })
    return this.source
  }

  /** Hands the source its last committed checkpoint, if there is one. */
  private async restore(source: SourceInstance): Promise<void> {
    // Fences an older process of this source first, so the checkpoint read next is final.
    const state = await this.delivery.openTransactional()
    if (state?.checkpoint === undefined) return
    this.inputs.logger.info(`resuming ${this.stage.label} from its last committed checkpoint`, {
      at: state.at,
      transactions: state.seq,
    })
    await callPlugin(this.stage, 'source', 'restore', () => source.restore?.(state.checkpoint))
  }

  /** The source's emit(): records become keyed messages in the buffer, with the checkpoint that follows them. */
  private readonly emit = async (records: EtlRecord[], checkpoint?: unknown): Promise<void> => {
    if (records.length === 0 && checkpoint === undefined) return
    const messages: BusMessage[] = records.map((record) => ({key: this.keyOf(record), value: JSON.stringify(record)}))
    await this.buffer.push(messages, checkpoint === undefined ? undefined : {value: checkpoint})
  }

  /** Where the process stage may stop: the offsets after this source's records, per partition. */
  private async drainTarget(): Promise<Map<number, bigint>> {
    const {inputs, delivery, buffer} = this
    // Only a finite source that ran out needs a target; a stopped run must not wait on the broker for one.
    if (inputs.signal.aborted) return buffer.produced
    return delivery.isTransactional
      ? mergeEnds(delivery.committedEnds, buffer.produced)
      : mergeEnds(await inputs.bus.endOffsets(inputs.pipeline.kafka.topic), buffer.produced)
  }
}
