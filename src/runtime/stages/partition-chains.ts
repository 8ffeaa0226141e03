/**
 * One chain of transform instances per topic partition. A partition's keys are all its transforms ever see, so when
 * the consumer group moves the partition to another process its state can move with it: after each batch the chain's
 * checkpoints go to the state topic, and the next owner restores them before processing anything.
 */
import type {PipelineConfig, StageConfig} from '../config/load-pipeline.js'
import type {Counters} from '../counters.js'
import type {EtlError} from '../errors.js'
import type {Assignment, ConsumedMessage} from '../kafka/message-bus.js'
import type {Logger} from '../logger.js'
import {createPluginContext, scopeOf, type Rejection} from '../plugin-context.js'
import type {EtlRecord, TopicProducer, TransformInstance} from '../plugin-types.js'
import type {SavedStates, StateEntry, TransformStateStore} from '../state/transform-state-store.js'
import {truthy} from '../expression/expression-functions.js'
import {callPlugin} from './call-plugin.js'

/** What creating plugin instances needs; `etl test` creates them with these too. */
export interface PluginCreateInputs {
  pipeline: Pick<PipelineConfig, 'name' | 'dir'>
  logger: Logger
  counters: Counters
  stateRoot: string
  signal: AbortSignal
  onReject: (rejection: Rejection) => void
  kafka: TopicProducer
  /** The consumer group and topic of the process stage (absent in `etl test`, which reads no topic). */
  consumer?: {group: string; topic: string}
}

export interface PluginInputs extends PluginCreateInputs {
  pipeline: PipelineConfig
}

export interface Running<T> {
  stage: StageConfig
  instance: T
}

export async function createPlugins<T>(
  inputs: PluginCreateInputs,
  stages: StageConfig[],
  partition?: number,
): Promise<Running<T>[]> {
  const created: Running<T>[] = []
  for (const stage of stages) {
    const context = createPluginContext({
      ...inputs,
      stage,
      pipelineName: inputs.pipeline.name,
      pipelineDir: inputs.pipeline.dir,
      partition,
    })
    const instance = await callPlugin(stage, 'process', 'create', () => stage.definition.create(stage.config, context))
    created.push({stage, instance: instance as T})
  }
  return created
}

/**
 * Runs a batch through a chain's transforms in order — what every batch of `etl run` and every input of `etl test`
 * goes through. `onStep` sees each step's output (`etl test` checks a chosen step's). A throw becomes
 * ETL_PLUGIN_FAILED naming the transform.
 */
export async function applyTransforms(
  transforms: Running<TransformInstance>[],
  input: EtlRecord[],
  onStep?: (index: number, records: EtlRecord[]) => void,
): Promise<EtlRecord[]> {
  let records = input
  for (const [index, {stage, instance}] of transforms.entries()) {
    const step = records
    records = await callPlugin(stage, 'process', 'process', () => processStep(stage, (r) => instance.process(r), step))
    onStep?.(index, records)
  }
  return records
}

/**
 * One step: the transform gets the records its `when:` selects (all without one); the others pass by it, in order,
 * ahead of what it returns.
 */
async function processStep(
  stage: StageConfig,
  process: (records: EtlRecord[]) => EtlRecord[] | Promise<EtlRecord[]>,
  records: EtlRecord[],
): Promise<EtlRecord[]> {
  const when = stage.when
  if (!when) return process(records)
  const selected: EtlRecord[] = []
  const passing: EtlRecord[] = []
  for (const record of records) (truthy(when(record)) ? selected : passing).push(record)
  return selected.length === 0 ? passing : passing.concat(await process(selected))
}

/**
 * A chain at shutdown: each transform gets what the ones before it still held (through process()), then gives up
 * what it holds itself (flush()), and is closed. Resolves what leaves the last one. A failing transform is reported
 * to `onError` and skipped; the rest still flush and close.
 */
export async function flushTransforms(
  transforms: Running<TransformInstance>[],
  onError: (error: EtlError) => void,
  onStep?: (index: number, records: EtlRecord[]) => void,
): Promise<EtlRecord[]> {
  let held: EtlRecord[] = []
  for (const [index, {stage, instance}] of transforms.entries()) {
    await callPlugin(stage, 'process', 'flush', async () => {
      if (held.length > 0) held = await processStep(stage, (records) => instance.process(records), held)
      if (instance.flush) held = held.concat(await instance.flush())
      onStep?.(index, held)
      await instance.close?.()
    }).catch(onError)
  }
  return held
}

export interface Chain {
  partition: number
  transforms: Running<TransformInstance>[]
  /**
   * Offsets below this were processed and their outputs written (by this process, or by the one whose state was
   * restored): a message below it that comes again (its commit failed or never happened) is skipped, not recounted.
   */
  nextOffset?: bigint
  /** JSON of each transform's state as last written to (or read from) the state topic, by transform index. */
  written: Map<number, string>
  /** Its size in UTF-8 bytes, by transform index (etl_transform_state_bytes). */
  bytes: Map<number, number>
}

/** Notes `json` as the state topic's copy of transform `index`'s state. */
function remember(chain: Chain, index: number, json: string): void {
  chain.written.set(index, json)
  chain.bytes.set(index, Buffer.byteLength(json))
}

export class PartitionChains {
  private readonly chains = new Map<number, Chain>()
  /** The state topic as read for the current assignment: read once, when the first new chain needs it. */
  private saved: Promise<SavedStates> | undefined
  private pending: Assignment | undefined
  private memberId: string | undefined
  /** The scopes whose state size was reported, so a scope whose chains all left is reported as 0. */
  private readonly sizedScopes = new Set<string>()

  constructor(
    private readonly inputs: PluginInputs,
    private readonly store: TransformStateStore,
  ) {}

  get all(): Chain[] {
    return [...this.chains.values()]
  }

  /**
   * A new assignment (called from the consumer's event, between batches): noted here, applied by settle() before the
   * next batch. The saved states are read again for it, since other processes wrote since the last read.
   */
  assigned(assignment: Assignment): void {
    this.pending = assignment
    this.saved = undefined
    this.inputs.logger.info(
      `assigned partition(s) ${assignment.partitions.join(',') || 'none'} of ${this.inputs.pipeline.kafka.topic}`,
    )
  }

  /**
   * Closes, without flushing, the chains of partitions this process no longer owns: their state lives in the state
   * topic as of the last commit, and the new owner continues from there. Emitting their open windows here would
   * emit them twice. A new member id means this process left the group in between and may have missed a generation
   * in which a partition it owns again was processed elsewhere: then every chain is rebuilt from the state topic.
   */
  async settle(): Promise<void> {
    const assignment = this.pending
    if (!assignment) return
    this.pending = undefined
    const rejoined = this.memberId !== undefined && this.memberId !== assignment.memberId
    this.memberId = assignment.memberId
    const owned = new Set(assignment.partitions)
    const released = this.all
      .filter((chain) => rejoined || !owned.has(chain.partition))
      .sort((x, y) => x.partition - y.partition)
    if (released.length === 0) return
    const partitions = released.map((c) => c.partition).join(',')
    this.inputs.logger.info(
      `released partition(s) ${partitions}${rejoined ? ' (rejoined the group as a new member)' : ''}; ` +
        `their transform state stays in ${this.store.topic} as of the last commit`,
    )
    for (const chain of released) {
      this.chains.delete(chain.partition)
      for (const {stage, instance} of chain.transforms) {
        await callPlugin(stage, 'process', 'close', () => instance.close?.()).catch((error: EtlError) =>
          this.inputs.logger.error(error.message),
        )
      }
    }
    this.reportStateSizes()
  }

  /** The partition's chain, created (and its state restored from the state topic) on its first batch. */
  async chainFor(partition: number): Promise<Chain> {
    const existing = this.chains.get(partition)
    if (existing) return existing
    const transforms = await createPlugins<TransformInstance>(this.inputs, this.inputs.pipeline.transforms, partition)
    const chain: Chain = {partition, transforms, written: new Map(), bytes: new Map()}
    if (transforms.some((t) => t.instance.restore)) await this.restore(chain)
    this.chains.set(partition, chain)
    if (chain.bytes.size > 0) this.reportStateSizes()
    return chain
  }

  /** The messages of a batch not yet processed; the rest are counted as skipped_already_processed. */
  unprocessed(chain: Chain, messages: ConsumedMessage[]): ConsumedMessage[] {
    const next = chain.nextOffset
    if (next === undefined || BigInt(messages[0].offset) >= next) return messages
    const fresh = messages.filter((m) => BigInt(m.offset) >= next)
    const skipped = messages.length - fresh.length
    this.inputs.counters.add('process', 'skipped_already_processed', skipped)
    this.inputs.logger.info(
      `partition ${chain.partition}: skipping ${skipped} message(s) from offset ${messages[0].offset}: ` +
        'processed and written before their offsets were committed ' +
        `(the transform state saved at offset ${next} already includes them)`,
    )
    return fresh
  }

  /**
   * Saves what checkpoint() returns for each transform of the chain, when its JSON changed, and resolves once Kafka
   * has it: the batch's offsets are committed after this, so saved state is at most one batch ahead of them.
   */
  async checkpoint(chain: Chain, nextOffset: bigint): Promise<void> {
    const changed: StateEntry[] = []
    for (const [index, {stage, instance}] of chain.transforms.entries()) {
      if (!instance.checkpoint) continue
      const json = await callPlugin(stage, 'process', 'checkpoint', async () => {
        const state = await instance.checkpoint?.()
        return state === undefined ? undefined : JSON.stringify(state)
      })
      if (json === undefined || json === chain.written.get(index)) continue
      changed.push({index, label: stage.label, type: stage.type, json})
    }
    await this.store.write(chain.partition, nextOffset, changed)
    for (const entry of changed) remember(chain, entry.index, entry.json)
    chain.nextOffset = nextOffset
    if (changed.length > 0) this.reportStateSizes()
  }

  /**
   * The size of each stateful transform's saved state, summed over the partitions this process holds, as the level
   * `state_bytes` (etl_transform_state_bytes): windows that never close, or keys without end, show as growth here.
   */
  private reportStateSizes(): void {
    const totals = new Map<string, number>()
    for (const chain of this.chains.values()) {
      for (const [index, {stage}] of chain.transforms.entries()) {
        const bytes = chain.bytes.get(index)
        if (bytes === undefined) continue
        const scope = scopeOf(stage)
        totals.set(scope, (totals.get(scope) ?? 0) + bytes)
      }
    }
    for (const scope of this.sizedScopes) if (!totals.has(scope)) totals.set(scope, 0)
    for (const [scope, bytes] of totals) {
      this.sizedScopes.add(scope)
      this.inputs.counters.level(scope, 'state_bytes', bytes)
    }
  }

  private async restore(chain: Chain): Promise<void> {
    const saved = (await (this.saved ??= this.readSaved())).get(chain.partition)
    if (!saved) return
    const {logger, counters} = this.inputs
    for (const [index, {stage, instance}] of chain.transforms.entries()) {
      const entry = saved.get(index)
      if (!entry || !instance.restore) continue
      if (entry.label !== stage.label || entry.type !== stage.type) {
        // The pipeline's transforms changed: state of another transform at this position would be nonsense here.
        logger.warn(
          `partition ${chain.partition}: ignoring saved state of ${entry.type} "${entry.label}" ` +
            `for transform ${index + 1} (now ${stage.type} "${stage.label}")`,
        )
        counters.add('process', 'state_discarded')
        continue
      }
      await callPlugin(stage, 'process', 'restore', () => instance.restore?.(entry.state))
      remember(chain, index, JSON.stringify(entry.state))
      if (chain.nextOffset === undefined || entry.offset > chain.nextOffset) chain.nextOffset = entry.offset
    }
    if (chain.nextOffset !== undefined) {
      logger.info(
        `partition ${chain.partition}: restored transform state from ${this.store.topic} ` +
          `(saved at offset ${chain.nextOffset})`,
      )
    }
  }

  private readSaved(): Promise<SavedStates> {
    return this.store.readAll().catch((error) => {
      this.saved = undefined // a later chain tries again rather than inheriting the failure
      throw error
    })
  }
}
