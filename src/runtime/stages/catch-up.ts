/**
 * `etl run --until-caught-up` (Spark's trigger(availableNow)): the process stage works through what the input topic
 * holds when the run starts and then stops by itself. Each member of the consumer group stops once the partitions it
 * owns reached the topic's end offsets as read at its start (src/runtime/stages/drain-progress.ts); with both stages,
 * the source must end by itself, and the run ends as any finite run does (once its records are processed).
 */
import type {PipelineConfig} from '../config/load-pipeline.js'
import type {KafkaSettings} from '../config/pipeline-config.js'
import type {MessageBus} from '../kafka/message-bus.js'

export type CatchUpStage = 'all' | 'source' | 'process'

/** Why `--until-caught-up` cannot run with this stage selection, or undefined when it can. */
export function untilCaughtUpProblem(pipeline: PipelineConfig, stage: CatchUpStage): string | undefined {
  if (stage === 'source')
    return '--until-caught-up stops the process stage once it has caught up; --stage source runs none'
  const endless = pipeline.sources.find((source) => !(source.definition.isFinite?.(source.config) ?? false))
  if (stage === 'process' || !endless) return undefined
  return (
    `--until-caught-up with both stages needs a source that ends by itself, and ${endless.label} (as configured) ` +
    'runs until it is stopped: run it on its own (--stage source) and catch up with --stage process --until-caught-up'
  )
}

export interface CatchUpTarget {
  /** Per partition, the offset the group's committed offset must reach (0: nothing to do there). */
  target: Map<number, bigint>
  /** Every partition is committed up to its target already: there is nothing to process. */
  nothingNew: boolean
}

/**
 * The target from the topic's end offsets and the group's committed offsets. A partition the group never committed
 * on counts as done when the group starts at the end of the topic (kafka.fromBeginning: false): a new consumer starts
 * after what is there, so it has nothing to catch up with.
 */
export function catchUpTarget(
  end: Map<number, bigint>,
  committed: Map<number, bigint>,
  fromBeginning: boolean,
): CatchUpTarget {
  const target = new Map<number, bigint>()
  for (const [partition, offset] of end) {
    const at = committed.get(partition) ?? -1n
    target.set(partition, at < 0n && !fromBeginning ? 0n : offset)
  }
  const nothingNew = [...target].every(
    ([partition, offset]) => offset === 0n || (committed.get(partition) ?? -1n) >= offset,
  )
  return {target, nothingNew}
}

/** Reads the topic's end offsets and the group's committed offsets now: the target of this run. */
export async function readCatchUpTarget(
  bus: MessageBus,
  kafka: Pick<KafkaSettings, 'topic' | 'groupId' | 'fromBeginning'>,
): Promise<CatchUpTarget> {
  const [end, committed] = await Promise.all([
    bus.endOffsets(kafka.topic),
    bus.committedOffsets(kafka.groupId, kafka.topic),
  ])
  return catchUpTarget(end, committed, kafka.fromBeginning)
}

/** The target as a log field: `partition:offset` pairs. */
export function describeTarget(target: Map<number, bigint>): string {
  return [...target]
    .sort(([a], [b]) => a - b)
    .map(([partition, offset]) => `${partition}:${offset}`)
    .join(',')
}
