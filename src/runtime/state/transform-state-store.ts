/**
 * Transform state in Kafka: one compacted topic per consumer group, `<group>.state`, so whichever process stage owns a
 * partition next (after a restart, a crash or a rebalance, on any machine) finds the state that partition's transforms
 * had at its last committed batch. Only the MessageBus is used: no Kafka client of its own.
 *
 * Message key `<partition>/<transform index>`; value `{"offset": "<next offset after the batch>", "label", "type",
 * "state"}`. Compaction keeps the latest value per key, which is all a restore needs.
 */
import type {Logger} from '../logger.js'
import type {BusProducer, MessageBus} from '../kafka/message-bus.js'

export interface SavedTransformState {
  /** The partition's next offset after the batch this state includes. */
  offset: bigint
  label: string
  type: string
  state: unknown
}

/** A changed state to write: `json` is JSON.stringify of the transform's checkpoint(). */
export interface StateEntry {
  index: number
  label: string
  type: string
  json: string
}

/** Saved states by partition, then by transform index. */
export type SavedStates = Map<number, Map<number, SavedTransformState>>

/**
 * Compaction never touches the active segment, and a restore reads the whole log. With Kafka's defaults (1 GiB or
 * 7 days per segment) a state written after every batch would pile up uncompacted; small, hourly segments keep what
 * a rebalance has to read close to one value per key.
 */
export const STATE_TOPIC_CONFIG: Record<string, string> = {
  'cleanup.policy': 'compact',
  'segment.bytes': String(16 * 1024 * 1024),
  'segment.ms': String(60 * 60 * 1000),
}

const TOPIC_CHARACTERS = /[^A-Za-z0-9._-]/g
const KEY = /^(\d+)\/(\d+)$/

/** `<groupId>.state`, made a legal topic name (a group id may hold characters a topic name cannot). */
export function stateTopicOf(groupId: string): string {
  return `${groupId.replace(TOPIC_CHARACTERS, '_').slice(0, 240)}.state`
}

export interface StateStoreInputs {
  bus: MessageBus
  topic: string
  replicationFactor?: number
  /** The producer to write with (the process stage shares one for all its outputs). */
  producer: () => Promise<BusProducer>
  logger: Logger
}

export class TransformStateStore {
  private created: Promise<void> | undefined

  constructor(private readonly inputs: StateStoreInputs) {}

  get topic(): string {
    return this.inputs.topic
  }

  /** Reads the whole topic: the latest state of every partition's transforms. Unusable entries are skipped (warned). */
  async readAll(): Promise<SavedStates> {
    const saved: SavedStates = new Map()
    for (const [key, value] of await this.inputs.bus.readLatest(this.inputs.topic)) {
      const entry = parseEntry(key, value)
      if (typeof entry === 'string') {
        this.inputs.logger.warn(`ignoring state entry ${JSON.stringify(key)} in ${this.inputs.topic}: ${entry}`)
        continue
      }
      const byIndex = saved.get(entry.partition) ?? new Map<number, SavedTransformState>()
      saved.set(entry.partition, byIndex.set(entry.index, entry.saved))
    }
    return saved
  }

  /**
   * Writes the changed states of one partition's transforms in one produce request (one record batch, appended
   * whole), and resolves once Kafka acknowledged it: the caller commits the batch's offsets only after that.
   */
  async write(partition: number, offset: bigint, entries: StateEntry[]): Promise<void> {
    if (entries.length === 0) return
    await (this.created ??= this.createTopic())
    const messages = entries.map(({index, label, type, json}) => ({
      key: `${partition}/${index}`,
      // The state is spliced in as the JSON the caller already made to see whether it changed: no second stringify.
      value: `${JSON.stringify({offset: String(offset), label, type}).slice(0, -1)},"state":${json}}`,
    }))
    const producer = await this.inputs.producer()
    await producer.send(this.inputs.topic, messages)
  }

  private async createTopic(): Promise<void> {
    const {bus, topic, replicationFactor} = this.inputs
    // One partition: the topic is small, and one partition keeps every partition's state in one ordered log.
    await bus
      .ensureTopic({topic, partitions: 1, replicationFactor, configEntries: STATE_TOPIC_CONFIG})
      .catch((error) => {
        this.created = undefined
        throw error
      })
  }
}

function parseEntry(
  key: string,
  value: Buffer,
): {partition: number; index: number; saved: SavedTransformState} | string {
  const match = KEY.exec(key)
  if (!match) return 'the key is not <partition>/<transform index>'
  let parsed: {offset?: unknown; label?: unknown; type?: unknown; state?: unknown}
  try {
    parsed = JSON.parse(value.toString('utf8'))
  } catch (error) {
    return `the value is not JSON (${(error as Error).message})`
  }
  const {offset, label, type, state} = parsed ?? {}
  if (
    typeof offset !== 'string' ||
    !/^\d+$/.test(offset) ||
    typeof label !== 'string' ||
    typeof type !== 'string' ||
    state === undefined
  ) {
    return 'the value lacks offset, label, type or state'
  }
  return {partition: Number(match[1]), index: Number(match[2]), saved: {offset: BigInt(offset), label, type, state}}
}
