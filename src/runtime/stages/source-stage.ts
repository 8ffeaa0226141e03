/**
 * Source stage: runs the source plugin and produces what it emits to the topic, keyed by symbol so every coin stays in
 * order on one partition. emit() queues into a bounded buffer (source-buffer.ts) that one loop delivers in order
 * (source-delivery.ts): with the source's checkpoints in Kafka transactions when it passes them, else with the plain
 * idempotent producer. A source with `restore` gets its last committed checkpoint back before it runs.
 */
import type {PipelineConfig} from '../config/load-pipeline.js'
import type {Counters} from '../counters.js'
import {pluginFailure} from '../errors.js'
import type {Logger} from '../logger.js'
import type {BusMessage, MessageBus} from '../kafka/message-bus.js'
import {createPluginContext, scopeOf} from '../plugin-context.js'
import type {EtlRecord, SourceInstance} from '../plugin-types.js'
import {mergeEnds, sourceStateKey} from '../state/source-state-store.js'
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

export function recordKey(record: EtlRecord): string | null {
  const key = record.symbol ?? record.key
  return typeof key === 'string' || typeof key === 'number' ? String(key) : null
}

/** `etl-source-<pipeline name>`: the same on every run, so a restarted source stage fences the one it replaces. */
export function sourceTransactionalId(pipelineName: string): string {
  return `etl-source-${pipelineName}`
}

export async function runSourceStage(inputs: SourceStageInputs): Promise<SourceStageResult> {
  const {pipeline, bus, counters, logger} = inputs
  const stage = pipeline.source
  if (!stage) return {drainTarget: new Map()} // a pipeline without a source consumes a topic something else fills
  const scope = scopeOf(stage)
  const force = inputs.forceSignal ?? new AbortController().signal
  // Also aborted when delivery fails for good, so a source waiting for its next poll stops at once.
  const control = new AbortController()
  const stopSource = () => control.abort()
  if (inputs.signal.aborted) stopSource()
  else inputs.signal.addEventListener('abort', stopSource, {once: true})
  const stageLogger = logger.child('source')
  const delivery = new SourceDelivery({
    bus,
    logger: stageLogger,
    topic: pipeline.kafka.topic,
    stateTopic: pipeline.kafka.sourceStateTopic,
    stateKey: sourceStateKey(pipeline.name, stage.label),
    transactionalId: sourceTransactionalId(pipeline.name),
    replicationFactor: pipeline.kafka.replicationFactor,
    label: stage.label,
    type: stage.type,
    force,
  })
  const buffer = new SourceBuffer({
    settings: pipeline.kafka.producerBuffer,
    delivery,
    logger: stageLogger,
    counters,
    scope,
    onFatal: stopSource,
  })
  const context = createPluginContext({
    ...inputs,
    signal: control.signal,
    stage,
    pipelineName: pipeline.name,
    pipelineDir: pipeline.dir,
  })
  let source: SourceInstance | undefined
  try {
    try {
      source = (await stage.definition.create(stage.config, context)) as SourceInstance
    } catch (error) {
      throw pluginFailure(stage.definition, 'source', 'create', error)
    }
    if (source.restore) {
      // Fences an older process of this source first, so the checkpoint read next is final.
      const state = await delivery.openTransactional()
      if (state?.checkpoint !== undefined) {
        logger.info(`resuming ${stage.label} from its last committed checkpoint`, {
          at: state.at,
          transactions: state.seq,
        })
        try {
          await source.restore(state.checkpoint)
        } catch (error) {
          throw pluginFailure(stage.definition, 'source', 'restore', error)
        }
      }
    }
    const emit = async (records: EtlRecord[], checkpoint?: unknown) => {
      if (records.length === 0 && checkpoint === undefined) return
      const messages: BusMessage[] = records.map((record) => ({key: recordKey(record), value: JSON.stringify(record)}))
      await buffer.push(messages, checkpoint === undefined ? undefined : {value: checkpoint})
    }
    try {
      await source.run(emit, control.signal)
    } catch (error) {
      if (buffer.failure !== undefined) throw buffer.failure
      throw pluginFailure(stage.definition, 'source', 'run', error)
    }
    await buffer.close(force)
    if (buffer.failure !== undefined) throw buffer.failure
    logger.info(inputs.signal.aborted ? 'source stopped' : 'source finished', {
      produced: counters.get(scope, 'produced'),
    })
    // Only a finite source that ran out needs a target; a stopped run must not wait on the broker for one.
    if (inputs.signal.aborted) return {drainTarget: buffer.produced}
    const drainTarget = delivery.isTransactional
      ? mergeEnds(delivery.committedEnds, buffer.produced)
      : mergeEnds(await bus.endOffsets(pipeline.kafka.topic), buffer.produced)
    return {drainTarget}
  } finally {
    inputs.signal.removeEventListener('abort', stopSource)
    await source?.close?.().catch((error) => logger.warn(`closing the source failed: ${String(error)}`))
    await delivery.close()
  }
}
