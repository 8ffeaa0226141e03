/**
 * Process stage: consumes the topic in the pipeline's consumer group, runs the transforms in order (one chain of
 * instances per partition, see partition-chains.ts), writes to every sink, saves the transforms' state to the state
 * topic, and lets the bus commit a batch's offsets only after all that (at-least-once into any sink; stateful
 * transforms count each record once). Sinks that record positions get each output exactly once: a batch delivered
 * again is cut at their positions (sink-positions.ts; docs/GUARANTEES.md). A message that is not a JSON object goes to the dead-letter
 * topic with the reason in its headers; the rest flows on.
 */
import type {PipelineConfig} from '../config/load-pipeline.js'
import type {Counters} from '../counters.js'
import {EtlError, pluginFailure, messageOf} from '../errors.js'
import type {Logger} from '../logger.js'
import type {BusMessage, BusProducer, ConsumedBatch, ConsumedMessage, MessageBus} from '../kafka/message-bus.js'
import {scopeOf, type Rejection} from '../plugin-context.js'
import type {EtlRecord, SinkInstance, SinkOrigin, TopicProducer} from '../plugin-types.js'
import {stateTopicOf, TransformStateStore} from '../state/transform-state-store.js'
import {applyTransforms, createPlugins, flushTransforms, PartitionChains, type Chain} from './partition-chains.js'
import {pluginLabel, routedTo} from './routing.js'
import {SinkPositions} from './sink-positions.js'
import {withSinkRetries} from './sink-retry.js'

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

/** Messages decoded, transformed and written at a time within a batch (a fetch holds up to ~1 MB per partition). */
const CHUNK_MESSAGES = 500

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
  let outputProducer: Promise<BusProducer> | undefined
  const knownTopics = new Set<string>()
  async function producerFor(topic: string, partitions: number): Promise<BusProducer> {
    if (!knownTopics.has(topic)) {
      await bus.ensureTopic({topic, partitions, replicationFactor: pipeline.kafka.replicationFactor})
      knownTopics.add(topic)
    }
    return sharedProducer()
  }
  function sharedProducer(): Promise<BusProducer> {
    return (outputProducer ??= bus.createProducer().catch((error) => {
      outputProducer = undefined // the next send tries to connect again
      throw error
    }))
  }
  const kafka: TopicProducer = {
    async produce(topic, messages, options = {}) {
      if (messages.length === 0) return
      const producer = await producerFor(topic, options.partitions ?? pipeline.kafka.partitions)
      await producer.send(
        topic,
        messages.map((m) => ({key: m.key, value: JSON.stringify(m.value)})),
      )
    },
  }
  const pluginInputs = {...inputs, onReject, kafka}
  const sinks = withSinkRetries(await createPlugins<SinkInstance>(pluginInputs, pipeline.sinks), pluginInputs)
  const positions = await SinkPositions.read({sinks, bus, topic: pipeline.kafka.topic, logger, counters})
  const store = new TransformStateStore({
    bus,
    topic: stateTopicOf(pipeline.kafka.groupId),
    replicationFactor: pipeline.kafka.replicationFactor,
    producer: sharedProducer,
    logger,
  })
  const chains = new PartitionChains(pluginInputs, store)
  const consumer = bus.createConsumer(pipeline.kafka.groupId)
  const committed = new Map<number, bigint>()
  let target: Map<number, bigint> | undefined
  let stopping: Promise<void> | undefined
  const stop = () => (stopping ??= consumer.stop())

  const caughtUp = () =>
    target !== undefined &&
    [...target].every(([partition, end]) => end === 0n || (committed.get(partition) ?? -1n) >= end)

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
      logger.warn(
        `record sent to ${pipeline.kafka.deadLetterTopic} by ${letter.plugin}: ${letter.code} ${letter.message}`,
        {
          ...(letter.partition === undefined ? {} : {partition: letter.partition}),
          ...(letter.offset === undefined ? {} : {offset: letter.offset}),
        },
      )
    }
  }

  /** Rejections by transforms and sinks become dead letters; the record itself is the value, as JSON. */
  function takePluginRejects(partition?: number): DeadLetter[] {
    const letters = pluginRejects.map((r) => ({
      key: typeof r.record.symbol === 'string' ? r.record.symbol : null,
      value: JSON.stringify(r.record),
      code: r.code,
      message: r.reason,
      plugin: pluginLabel(r.stage),
      partition,
    }))
    pluginRejects = []
    return letters
  }

  async function handleBatch(batch: ConsumedBatch) {
    pluginRejects = [] // a batch that failed before is being redelivered: its rejections are made again
    await chains.settle()
    const chain = await chains.chainFor(batch.partition)
    const last = batch.messages[batch.messages.length - 1]
    const next = BigInt(last.offset) + 1n
    const messages = chains.unprocessed(chain, batch.messages)
    if (messages.length > 0) {
      const rejected: DeadLetter[] = []
      counters.add('process', 'consumed', messages.length)
      // Piece by piece where a sink's recorded position falls inside the batch: each piece's outputs are its own.
      // Pieces go through in chunks, so what a chunk allocates dies young instead of a whole fetch's worth surviving
      // the next scavenges (the young generation is kept small; see bin/run.js).
      for (const segment of positions.segmentsOf(batch.partition, messages, next)) {
        // At least one pass, also for an empty piece: a sink with positions hears of every input.
        for (let start = 0; start === 0 || start < segment.messages.length; start += CHUNK_MESSAGES) {
          const chunk = segment.messages.slice(start, start + CHUNK_MESSAGES)
          const last = start + CHUNK_MESSAGES >= segment.messages.length
          const records = await transform(chain, chunk, rejected)
          await writeToSinks(records, {
            partition: batch.partition,
            nextOffset: last ? segment.nextOffset : BigInt(chunk[chunk.length - 1].offset) + 1n,
          })
        }
      }
      await flushSinks()
      positions.flushed(batch.partition, next)
      await deadLetter(batch.topic, [...rejected, ...takePluginRejects(batch.partition)])
      // Everything this batch produced is durable: save the state that includes it, before the bus commits.
      await chains.checkpoint(chain, next)
    }
    // The bus commits last+1 right after this returns; record it now so caughtUp() sees this batch.
    committed.set(batch.partition, next)
    if (caughtUp()) setImmediate(() => void stop())
  }

  /** Decodes messages (the undecodable become dead letters) and runs the records through the partition's chain. */
  async function transform(chain: Chain, messages: ConsumedMessage[], rejected: DeadLetter[]): Promise<EtlRecord[]> {
    const records: EtlRecord[] = []
    for (const message of messages) {
      try {
        records.push(decodeRecord(message.value))
      } catch (error) {
        const {code, message: reason} = error as EtlError
        rejected.push({
          key: message.key?.toString('utf8') ?? null,
          value: message.value ?? '',
          code,
          message: reason,
          plugin: 'decode',
          partition: chain.partition,
          offset: message.offset,
        })
      }
    }
    return applyTransforms(chain.transforms, records)
  }

  /** Hands records to every sink (by its where:) that does not hold them yet; `origin`: the input they come from. */
  async function writeToSinks(records: EtlRecord[], origin?: SinkOrigin) {
    let anyWrote = false
    for (const [index, {stage, instance}] of sinks.entries()) {
      const routed = routedTo(stage, records)
      if (origin && positions.alreadyWritten(index, origin, routed.length)) continue
      anyWrote = true
      try {
        // A sink with positions hears of every input, so its position moves on even when nothing is routed to it.
        if (routed.length > 0 || (origin && positions.isExactlyOnce(index))) await instance.write(routed, origin)
      } catch (error) {
        throw pluginFailure(stage.definition, 'process', 'write', error)
      }
      if (routed.length > 0) counters.add(scopeOf(stage), 'written', routed.length)
    }
    if (records.length > 0 && anyWrote) inputs.onWritten?.(records)
  }

  async function flushSinks() {
    for (const {stage, instance} of sinks) {
      try {
        await instance.flush()
      } catch (error) {
        throw pluginFailure(stage.definition, 'process', 'flush', error)
      }
    }
  }

  async function shutdown() {
    // Chains of partitions that moved away close without emitting; the rest give up what they still hold (open
    // windows hold on to theirs: their state is in the state topic as of the last commit) before the sinks close.
    await chains.settle().catch((error) => logger.error(messageOf(error)))
    let pending: EtlRecord[] = []
    for (const chain of chains.all) {
      pending = pending.concat(await flushTransforms(chain.transforms, (error) => logger.error(error.message)))
    }
    if (pending.length > 0)
      await writeToSinks(pending)
        .then(flushSinks)
        .catch((error) => logger.error(messageOf(error)))
    await deadLetter(pipeline.kafka.topic, takePluginRejects()).catch((error) =>
      logger.error(`dead-lettering at shutdown failed: ${messageOf(error)}`),
    )
    for (const {stage, instance} of sinks) {
      await instance
        .close()
        .catch((error) => logger.error(pluginFailure(stage.definition, 'process', 'close', error).message))
    }
    await outputProducer?.then((producer) => producer.disconnect()).catch(() => undefined)
  }

  const onAbort = () => void stop()
  inputs.signal.addEventListener('abort', onAbort, {once: true})
  const done = consumer
    .run({
      topic: pipeline.kafka.topic,
      groupId: pipeline.kafka.groupId,
      fromBeginning: pipeline.kafka.fromBeginning,
      onBatch: handleBatch,
      onAssignment: (assignment) => chains.assigned(assignment),
    })
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
