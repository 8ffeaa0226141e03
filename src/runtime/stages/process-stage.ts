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
import {truthy} from '../expression/expression-functions.js'
import {createPluginContext, scopeOf, type Rejection} from '../plugin-context.js'
import type {EtlRecord, SinkInstance, TopicProducer, TransformInstance} from '../plugin-types.js'

export interface ProcessStageInputs {
  pipeline: PipelineConfig
  bus: MessageBus
  logger: Logger
  counters: Counters
  stateRoot: string
  signal: AbortSignal
  /** Records after the sinks wrote them (the charts fed by the live stream). */
  onWritten?: (records: EtlRecord[]) => void
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

async function createAll<T>(
  inputs: ProcessStageInputs,
  stages: StageConfig[],
  onReject: (r: Rejection) => void,
  kafka: TopicProducer,
): Promise<Running<T>[]> {
  const created: Running<T>[] = []
  for (const stage of stages) {
    const context = createPluginContext({...inputs, stage, pipelineName: inputs.pipeline.name, pipelineDir: inputs.pipeline.dir, onReject, kafka})
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
  // Records a plugin rejected while handling the current batch; they reach the dead-letter topic before its commit.
  let pluginRejects: Rejection[] = []
  const onReject = (rejection: Rejection) => void pluginRejects.push(rejection)
  // One producer serves the dead-letter topic and sinks that produce to other topics; created on first use.
  let outputProducer: BusProducer | undefined
  const knownTopics = new Set<string>()
  async function producerFor(topic: string, partitions: number): Promise<BusProducer> {
    if (!knownTopics.has(topic)) {
      await bus.ensureTopic({topic, partitions, replicationFactor: pipeline.kafka.replicationFactor})
      knownTopics.add(topic)
    }
    return (outputProducer ??= await bus.createProducer())
  }
  const kafka: TopicProducer = {
    async produce(topic, messages, options = {}) {
      if (messages.length === 0) return
      const producer = await producerFor(topic, options.partitions ?? pipeline.kafka.partitions)
      await producer.send(topic, messages.map((m) => ({key: m.key, value: JSON.stringify(m.value)})))
    },
  }
  const transforms = await createAll<TransformInstance>(inputs, pipeline.transforms, onReject, kafka)
  const sinks = await createAll<SinkInstance>(inputs, pipeline.sinks, onReject, kafka)
  const consumer = bus.createConsumer(pipeline.kafka.groupId)
  const committed = new Map<number, bigint>()
  let target: Map<number, bigint> | undefined
  let stopping: Promise<void> | undefined
  const stop = () => (stopping ??= consumer.stop())

  const caughtUp = () =>
    target !== undefined && [...target].every(([partition, end]) => end === 0n || (committed.get(partition) ?? -1n) >= end)

  interface DeadLetter {
    key: string | null
    value: Buffer | string
    code: string
    message: string
    plugin: string
    partition?: number
    offset?: string
  }

  async function deadLetter(topic: string, letters: DeadLetter[]) {
    if (letters.length === 0) return
    const dlqProducer = await producerFor(pipeline.kafka.deadLetterTopic, 1)
    const messages: BusMessage[] = letters.map((letter) => ({
      key: letter.key,
      value: letter.value,
      headers: {
        'etl-error-code': letter.code,
        'etl-error-message': letter.message,
        'etl-stage': 'process',
        'etl-plugin': letter.plugin,
        'etl-source-topic': topic,
        ...(letter.partition === undefined ? {} : {'etl-source-partition': String(letter.partition)}),
        ...(letter.offset === undefined ? {} : {'etl-source-offset': letter.offset}),
      },
    }))
    await dlqProducer.send(pipeline.kafka.deadLetterTopic, messages)
    counters.add('process', 'dead_lettered', letters.length)
    for (const letter of letters) {
      logger.warn(`record sent to ${pipeline.kafka.deadLetterTopic} by ${letter.plugin}: ${letter.code} ${letter.message}`, {
        ...(letter.partition === undefined ? {} : {partition: letter.partition}),
        ...(letter.offset === undefined ? {} : {offset: letter.offset}),
      })
    }
  }

  /** Rejections by transforms and sinks become dead letters; the record itself is the value, as JSON. */
  function takePluginRejects(partition?: number): DeadLetter[] {
    const letters = pluginRejects.map((r) => ({
      key: typeof r.record.symbol === 'string' ? r.record.symbol : null,
      value: JSON.stringify(r.record),
      code: r.code,
      message: r.reason,
      plugin: `${r.stage.kind}:${r.stage.label}`,
      partition,
    }))
    pluginRejects = []
    return letters
  }

  async function handleBatch(batch: ConsumedBatch) {
    pluginRejects = [] // a batch that failed before is being redelivered: its rejections are made again
    let records: EtlRecord[] = []
    const rejected: DeadLetter[] = []
    for (const message of batch.messages) {
      try {
        records.push(decodeRecord(message.value))
      } catch (error) {
        const {code, message: reason} = error as EtlError
        rejected.push({key: message.key?.toString('utf8') ?? null, value: message.value ?? '', code, message: reason, plugin: 'decode', partition: batch.partition, offset: message.offset})
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
    await deadLetter(batch.topic, [...rejected, ...takePluginRejects(batch.partition)])
    for (const {stage, instance} of transforms) {
      try {
        await instance.checkpoint?.()
      } catch (error) {
        throw pluginFailure(stage.definition, 'process', 'checkpoint', error)
      }
    }
    const last = batch.messages[batch.messages.length - 1]
    // The bus commits last+1 right after this returns; record it now so caughtUp() sees this batch.
    committed.set(batch.partition, BigInt(last.offset) + 1n)
    if (caughtUp()) setImmediate(() => void stop())
  }

  async function writeToSinks(records: EtlRecord[]) {
    for (const {stage, instance} of sinks) {
      const routed = stage.where ? records.filter((record) => truthy(stage.where!(record))) : records
      try {
        if (routed.length > 0) await instance.write(routed)
        await instance.flush()
      } catch (error) {
        throw pluginFailure(stage.definition, 'process', 'write', error)
      }
      if (routed.length > 0) counters.add(scopeOf(stage), 'written', routed.length)
    }
    if (records.length > 0) inputs.onWritten?.(records)
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
    await deadLetter(pipeline.kafka.topic, takePluginRejects()).catch((error) => logger.error(`dead-lettering at shutdown failed: ${messageOf(error)}`))
    for (const {stage, instance} of sinks) {
      await instance.close().catch((error) => logger.error(pluginFailure(stage.definition, 'process', 'close', error).message))
    }
    await outputProducer?.disconnect().catch(() => undefined)
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
