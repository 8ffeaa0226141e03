/**
 * Process stage: consumes the topic in the pipeline's consumer group, runs the transforms in order, writes to every
 * sink, and lets the bus commit a batch's offsets only after every sink flushed it (at-least-once into the sinks).
 * A message that is not a JSON object goes to the dead-letter topic with the reason in its headers; the rest flows on.
 */
import type {PipelineConfig, StageConfig} from '../config/load-pipeline.js'
import type {Counters} from '../counters.js'
import {EtlError, pluginFailure, messageOf} from '../errors.js'
import type {Logger} from '../logger.js'
import type {BusMessage, BusProducer, ConsumedBatch, MessageBus} from '../kafka/message-bus.js'
import {createPluginContext, scopeOf} from '../plugin-context.js'
import type {EtlRecord, SinkInstance, TransformInstance} from '../plugin-types.js'

export interface ProcessStageInputs {
  pipeline: PipelineConfig
  bus: MessageBus
  logger: Logger
  counters: Counters
  stateRoot: string
  signal: AbortSignal
}

export interface ProcessStage {
  /** Resolves when the stage stopped (signal, or caught up with a drain target); rejects when it failed. */
  done: Promise<void>
  /** Stop once every partition's committed offset reaches `target` (used after a finite source finished). */
  stopWhenCaughtUp(target: Map<number, bigint>): Promise<void>
}

interface Running<T> {
  stage: StageConfig
  instance: T
}

async function createAll<T>(inputs: ProcessStageInputs, stages: StageConfig[]): Promise<Running<T>[]> {
  const created: Running<T>[] = []
  for (const stage of stages) {
    const context = createPluginContext({...inputs, stage, pipelineName: inputs.pipeline.name, pipelineDir: inputs.pipeline.dir})
    try {
      created.push({stage, instance: (await stage.definition.create(stage.config, context)) as T})
    } catch (error) {
      throw pluginFailure(stage.definition, 'process', 'create', error)
    }
  }
  return created
}

export function decodeRecord(value: Buffer | null): EtlRecord {
  if (!value) throw new EtlError('ETL_RECORD_INVALID', 'message has no value')
  let parsed: unknown
  try {
    parsed = JSON.parse(value.toString('utf8'))
  } catch (error) {
    throw new EtlError('ETL_RECORD_INVALID', `value is not JSON: ${messageOf(error)}`)
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new EtlError('ETL_RECORD_INVALID', 'value is JSON but not an object')
  }
  return parsed as EtlRecord
}

export async function startProcessStage(inputs: ProcessStageInputs): Promise<ProcessStage> {
  const {pipeline, bus, logger, counters} = inputs
  const transforms = await createAll<TransformInstance>(inputs, pipeline.transforms)
  const sinks = await createAll<SinkInstance>(inputs, pipeline.sinks)
  const consumer = bus.createConsumer(pipeline.kafka.groupId)
  const committed = new Map<number, bigint>()
  let target: Map<number, bigint> | undefined
  let dlqProducer: BusProducer | undefined
  let stopping: Promise<void> | undefined
  const stop = () => (stopping ??= consumer.stop())

  const caughtUp = () =>
    target !== undefined && [...target].every(([partition, end]) => end === 0n || (committed.get(partition) ?? -1n) >= end)

  async function deadLetter(batch: ConsumedBatch, rejected: {offset: string; value: Buffer | null; key: Buffer | null; error: EtlError}[]) {
    if (rejected.length === 0) return
    dlqProducer ??= await bus.createProducer()
    await bus.ensureTopic({topic: pipeline.kafka.deadLetterTopic, partitions: 1, replicationFactor: pipeline.kafka.replicationFactor})
    const messages: BusMessage[] = rejected.map((r) => ({
      key: r.key?.toString('utf8') ?? null,
      value: r.value ?? '',
      headers: {
        'etl-error-code': r.error.code,
        'etl-error-message': r.error.message,
        'etl-stage': 'process',
        'etl-plugin': 'decode',
        'etl-source-topic': batch.topic,
        'etl-source-partition': String(batch.partition),
        'etl-source-offset': r.offset,
      },
    }))
    await dlqProducer.send(pipeline.kafka.deadLetterTopic, messages)
    counters.add('process', 'dead_lettered', rejected.length)
    for (const r of rejected) {
      logger.warn(`record sent to ${pipeline.kafka.deadLetterTopic}: ${r.error.message}`, {partition: batch.partition, offset: r.offset})
    }
  }

  async function handleBatch(batch: ConsumedBatch) {
    let records: EtlRecord[] = []
    const rejected: Parameters<typeof deadLetter>[1] = []
    for (const message of batch.messages) {
      try {
        records.push(decodeRecord(message.value))
      } catch (error) {
        rejected.push({offset: message.offset, value: message.value, key: message.key, error: error as EtlError})
      }
    }
    counters.add('process', 'consumed', batch.messages.length)
    for (const {stage, instance} of transforms) {
      try {
        records = await instance.process(records)
      } catch (error) {
        throw pluginFailure(stage.definition, 'process', 'process', error)
      }
    }
    await writeToSinks(records)
    await deadLetter(batch, rejected)
    const last = batch.messages[batch.messages.length - 1]
    // The bus commits last+1 right after this returns; record it now so caughtUp() sees this batch.
    committed.set(batch.partition, BigInt(last.offset) + 1n)
    if (caughtUp()) setImmediate(() => void stop())
  }

  async function writeToSinks(records: EtlRecord[]) {
    for (const {stage, instance} of sinks) {
      try {
        if (records.length > 0) await instance.write(records)
        await instance.flush()
      } catch (error) {
        throw pluginFailure(stage.definition, 'process', 'write', error)
      }
      if (records.length > 0) counters.add(scopeOf(stage), 'written', records.length)
    }
  }

  async function shutdown() {
    // Records a transform still holds (e.g. open windows) go out before the sinks close.
    let pending: EtlRecord[] = []
    for (const {stage, instance} of transforms) {
      try {
        if (pending.length > 0) pending = await instance.process(pending)
        if (instance.flush) pending = pending.concat(await instance.flush())
        await instance.close?.()
      } catch (error) {
        logger.error(pluginFailure(stage.definition, 'process', 'flush', error).message)
      }
    }
    if (pending.length > 0) await writeToSinks(pending).catch((error) => logger.error(messageOf(error)))
    for (const {stage, instance} of sinks) {
      await instance.close().catch((error) => logger.error(pluginFailure(stage.definition, 'process', 'close', error).message))
    }
    await dlqProducer?.disconnect().catch(() => undefined)
  }

  const onAbort = () => void stop()
  inputs.signal.addEventListener('abort', onAbort, {once: true})
  const done = consumer
    .run({topic: pipeline.kafka.topic, groupId: pipeline.kafka.groupId, fromBeginning: pipeline.kafka.fromBeginning, onBatch: handleBatch})
    .catch(async (error) => {
      await stop().catch(() => undefined)
      throw error
    })
    .finally(async () => {
      inputs.signal.removeEventListener('abort', onAbort)
      await shutdown()
    })

  return {
    done,
    async stopWhenCaughtUp(end) {
      const already = await bus.committedOffsets(pipeline.kafka.groupId, pipeline.kafka.topic)
      for (const [partition, offset] of already) if (!committed.has(partition)) committed.set(partition, offset)
      target = end
      if (caughtUp()) await stop()
    },
  }
}
