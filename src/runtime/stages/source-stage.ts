/**
 * Source stage: runs the source plugin and produces what it emits to the topic, keyed by symbol so every coin stays in
 * order on one partition. emit() resolves only once Kafka acknowledged the records, which is the source's backpressure.
 */
import type {PipelineConfig} from '../config/load-pipeline.js'
import type {Counters} from '../counters.js'
import {pluginFailure} from '../errors.js'
import type {Logger} from '../logger.js'
import type {BusMessage, MessageBus} from '../kafka/message-bus.js'
import {createPluginContext, scopeOf} from '../plugin-context.js'
import type {EtlRecord, SourceInstance} from '../plugin-types.js'

export interface SourceStageInputs {
  pipeline: PipelineConfig
  bus: MessageBus
  logger: Logger
  counters: Counters
  stateRoot: string
  signal: AbortSignal
}

export function recordKey(record: EtlRecord): string | null {
  const key = record.symbol ?? record.key
  return typeof key === 'string' || typeof key === 'number' ? String(key) : null
}

export async function runSourceStage(inputs: SourceStageInputs): Promise<void> {
  const {pipeline, bus, counters, signal} = inputs
  const stage = pipeline.source
  if (!stage) return // a pipeline without a source consumes a topic something else fills
  const scope = scopeOf(stage)
  const producer = await bus.createProducer()
  const context = createPluginContext({...inputs, stage, pipelineName: pipeline.name, pipelineDir: pipeline.dir})
  let source: SourceInstance | undefined
  try {
    try {
      source = await stage.definition.create(stage.config, context) as SourceInstance
    } catch (error) {
      throw pluginFailure(stage.definition, 'source', 'create', error)
    }
    const emit = async (records: EtlRecord[]) => {
      if (records.length === 0) return
      const messages: BusMessage[] = records.map((record) => ({key: recordKey(record), value: JSON.stringify(record)}))
      await producer.send(pipeline.kafka.topic, messages)
      counters.add(scope, 'produced', records.length)
    }
    try {
      await source.run(emit, signal)
    } catch (error) {
      throw pluginFailure(stage.definition, 'source', 'run', error)
    }
    inputs.logger.info(signal.aborted ? 'source stopped' : 'source finished', {produced: counters.get(scope, 'produced')})
  } finally {
    await source?.close?.().catch((error) => inputs.logger.warn(`closing the source failed: ${String(error)}`))
    await producer.disconnect().catch(() => undefined)
  }
}
