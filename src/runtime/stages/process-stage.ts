/**
 * Process stage: consumes the topic in the pipeline's consumer group, runs the transforms in order (one chain of
 * instances per partition, see partition-chains.ts), writes to every sink, saves the transforms' state to the state
 * topic, and lets the bus commit a batch's offsets only after all that (at-least-once into any sink; stateful
 * transforms count each record once). Sinks that record positions get each output exactly once: a batch delivered
 * again is cut at their positions (sink-positions.ts; docs/GUARANTEES.md). A message that is not a JSON object goes to
 * the dead-letter topic with the reason in its headers (dead-letters.ts); the rest flows on.
 */
import type {PipelineConfig} from '../config/load-pipeline.js'
import type {Counters} from '../counters.js'
import {messageOf} from '../errors.js'
import type {Logger} from '../logger.js'
import type {BusConsumer, ConsumedBatch, ConsumedMessage, MessageBus} from '../kafka/message-bus.js'
import type {EtlRecord, SinkInstance} from '../plugin-types.js'
import type {TapHub} from '../tap/tap-hub.js'
import {stateTopicOf, TransformStateStore} from '../state/transform-state-store.js'
import {chunksOf} from './batch-chunks.js'
import {DeadLetters, type DeadLetter} from './dead-letters.js'
import {decodeMessages} from './decode-record.js'
import {DrainProgress} from './drain-progress.js'
import {OutputProducer} from './output-producer.js'
import {applyTransforms, createPlugins, flushTransforms, PartitionChains, type Chain} from './partition-chains.js'
import {messageKeyOf} from './message-key.js'
import {ProcessSinks} from './process-sinks.js'
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
  /** `etl tap`: sees the records of each step and sink while a client watches (src/runtime/tap/). */
  tap?: TapHub
}

export interface ProcessStage {
  /** Resolves when the stage stopped (signal, or caught up with a drain target); rejects when it failed. */
  done: Promise<void>
  /**
   * Stop once every partition's committed offset reaches `target` (used after a finite source finished). With
   * `ownedOnly` (`--until-caught-up`: the target is the topic's end offsets), once the partitions this member owns
   * reach it; the group's committed offsets are then read every `pollMs` too, since commits past transaction markers
   * and those of other members (of partitions that move here) come in no batch.
   */
  stopWhenCaughtUp(target: Map<number, bigint>, options?: CatchUpOptions): Promise<void>
}

export interface CatchUpOptions {
  ownedOnly?: boolean
  /** Default 500 ms. */
  pollMs?: number
}

const CATCH_UP_POLL_MS = 500

/** Creates the sinks (and reads their positions) and starts consuming; `done` settles once the stage stopped. */
export async function startProcessStage(inputs: ProcessStageInputs): Promise<ProcessStage> {
  const {pipeline, bus, logger, counters} = inputs
  const {kafka} = pipeline
  const producer = new OutputProducer(bus, {replicationFactor: kafka.replicationFactor, partitions: kafka.partitions})
  const keyOf = messageKeyOf(kafka.key)
  const deadLetters = new DeadLetters({topic: kafka.deadLetterTopic, keyOf, producer, counters, logger})
  const pluginInputs = {
    ...inputs,
    onReject: deadLetters.reject,
    kafka: producer.topicProducer(),
    consumer: {group: kafka.groupId, topic: kafka.topic},
  }
  const sinks = withSinkRetries(await createPlugins<SinkInstance>(pluginInputs, pipeline.sinks), pluginInputs)
  counters.level('process', 'sinks_open', sinks.length)
  const positions = await SinkPositions.read({sinks, bus, topic: kafka.topic, logger, counters})
  const store = new TransformStateStore({
    bus,
    topic: stateTopicOf(kafka.groupId),
    replicationFactor: kafka.replicationFactor,
    producer: () => producer.shared(),
    logger,
  })
  const stage = new RunningProcessStage({
    inputs,
    chains: new PartitionChains(pluginInputs, store),
    consumer: bus.createConsumer(kafka.groupId),
    sinks: new ProcessSinks(sinks, positions, inputs),
    positions,
    deadLetters,
    producer,
  })
  return {done: stage.run(), stopWhenCaughtUp: (target, options) => stage.stopWhenCaughtUp(target, options)}
}

interface ProcessStageParts {
  inputs: ProcessStageInputs
  chains: PartitionChains
  consumer: BusConsumer
  sinks: ProcessSinks
  positions: SinkPositions
  deadLetters: DeadLetters
  producer: OutputProducer
}

/** The stage once its sinks exist: consumes batch after batch until stopped, then shuts its plugins down. */
class RunningProcessStage {
  private readonly drain = new DrainProgress()
  private stopping: Promise<void> | undefined
  private pollTimer: NodeJS.Timeout | undefined
  /** Set by a new assignment: the sinks' positions are read again before the next batch (sink-positions.ts). */
  private positionsStale = false

  constructor(private readonly parts: ProcessStageParts) {}

  /** Consumes until stopped (the signal, a drain target reached) or failed; shuts down either way. */
  run(): Promise<void> {
    const {inputs, consumer, chains} = this.parts
    const {kafka} = inputs.pipeline
    const onAbort = () => void this.stop()
    inputs.signal.addEventListener('abort', onAbort, {once: true})
    return consumer
      .run({
        topic: kafka.topic,
        groupId: kafka.groupId,
        fromBeginning: kafka.fromBeginning,
        onBatch: (batch) => this.handleBatch(batch),
        onAssignment: (assignment) => {
          chains.assigned(assignment)
          this.drain.assigned(assignment.partitions)
          this.positionsStale = true
          inputs.counters.level('process', 'partitions_assigned', assignment.partitions.length)
        },
      })
      .catch(async (error) => {
        await this.stop().catch(() => undefined)
        throw error
      })
      .finally(async () => {
        inputs.signal.removeEventListener('abort', onAbort)
        clearTimeout(this.pollTimer)
        await this.shutdown()
      })
  }

  /** Stops consuming (the batch in flight finishes and is committed); the same promise however often it is called. */
  stop(): Promise<void> {
    return (this.stopping ??= this.parts.consumer.stop())
  }

  async stopWhenCaughtUp(target: Map<number, bigint>, options: CatchUpOptions = {}): Promise<void> {
    const {ownedOnly = false, pollMs = CATCH_UP_POLL_MS} = options
    this.drain.aimAt(target, await this.committedOffsets(), {ownedOnly})
    if (this.drain.caughtUp()) await this.stop()
    else if (ownedOnly) this.pollCommitted(pollMs)
  }

  private committedOffsets(): Promise<Map<number, bigint>> {
    const {bus, pipeline} = this.parts.inputs
    return bus.committedOffsets(pipeline.kafka.groupId, pipeline.kafka.topic)
  }

  /** Reads the group's committed offsets every `everyMs` until caught up (then stops) or stopped otherwise. */
  private pollCommitted(everyMs: number): void {
    const {logger} = this.parts.inputs
    const tick = async () => {
      if (this.stopping) return
      const committed = await this.committedOffsets().catch((error: unknown) => {
        logger.debug(`reading the committed offsets failed (tried again in ${everyMs} ms): ${messageOf(error)}`)
      })
      if (committed) this.drain.learn(committed)
      if (this.drain.caughtUp()) void this.stop()
      else if (!this.stopping) this.pollTimer = setTimeout(() => void tick(), everyMs)
    }
    this.pollTimer = setTimeout(() => void tick(), everyMs)
  }

  private async handleBatch(batch: ConsumedBatch): Promise<void> {
    const {chains, deadLetters, positions} = this.parts
    deadLetters.forgetRejections()
    await chains.settle()
    if (this.positionsStale) {
      this.positionsStale = false
      await positions.reload()
    }
    const chain = await chains.chainFor(batch.partition)
    const next = BigInt(batch.messages[batch.messages.length - 1].offset) + 1n
    const messages = chains.unprocessed(chain, batch.messages)
    if (messages.length > 0) {
      const started = performance.now()
      await this.process(batch, chain, messages, next)
      this.parts.inputs.counters.timed('process', 'batch', (performance.now() - started) / 1000)
    }
    // The bus commits last+1 right after this returns; record it now so caughtUp() sees this batch.
    this.drain.handled(batch.partition, next)
    if (this.drain.caughtUp()) setImmediate(() => void this.stop())
  }

  /** Transforms and writes the batch's unprocessed `messages`, then makes all of it durable before the commit. */
  private async process(batch: ConsumedBatch, chain: Chain, messages: ConsumedMessage[], next: bigint) {
    const {inputs, positions, sinks, deadLetters, chains} = this.parts
    const rejected: DeadLetter[] = []
    inputs.counters.add('process', 'consumed', messages.length)
    // Piece by piece where a sink's recorded position falls inside the batch: each piece's outputs are its own.
    for (const segment of positions.segmentsOf(batch.partition, messages, next)) {
      for (const chunk of chunksOf(segment)) {
        const decoded = decodeMessages(chunk.messages, chain.partition, rejected)
        const records = await applyTransforms(chain.transforms, decoded, tapSteps(inputs.tap, decoded, batch.partition))
        await sinks.write(records, {partition: batch.partition, nextOffset: chunk.nextOffset})
      }
    }
    await sinks.flush()
    positions.flushed(batch.partition, next)
    await deadLetters.write(batch.topic, [...rejected, ...deadLetters.takeRejections(batch.partition)])
    // Everything this batch produced is durable: save the state that includes it, before the bus commits.
    await chains.checkpoint(chain, next)
  }

  private async shutdown(): Promise<void> {
    const {inputs, sinks, deadLetters, producer} = this.parts
    const {logger} = inputs
    const pending = await this.flushChains()
    if (pending.length > 0) {
      await sinks
        .write(pending)
        .then(() => sinks.flush())
        .catch((error) => logger.error(messageOf(error)))
    }
    await deadLetters
      .write(inputs.pipeline.kafka.topic, deadLetters.takeRejections())
      .catch((error) => logger.error(`dead-lettering at shutdown failed: ${messageOf(error)}`))
    await sinks.close()
    inputs.counters.level('process', 'sinks_open', 0)
    await producer.disconnect()
  }

  /**
   * Chains of partitions that moved away close without emitting; the rest give up what they still hold (open windows
   * hold on to theirs: their state is in the state topic as of the last commit), for the sinks before they close.
   */
  private async flushChains(): Promise<EtlRecord[]> {
    const {chains, inputs} = this.parts
    await chains.settle().catch((error) => inputs.logger.error(messageOf(error)))
    let pending: EtlRecord[] = []
    for (const chain of chains.all) {
      pending = pending.concat(await flushTransforms(chain.transforms, (error) => inputs.logger.error(error.message)))
    }
    return pending
  }
}

/** The tap's hook into applyTransforms while a client watches (step 0 is the decoded input); else none. */
function tapSteps(tap: TapHub | undefined, decoded: EtlRecord[], partition: number) {
  if (!tap?.active) return undefined
  tap.step(0, decoded, partition)
  return (index: number, records: EtlRecord[]) => tap.step(index + 1, records, partition)
}
