/**
 * Gets the source's records into the topic, retrying until they are there. Two modes:
 *
 * - plain: the idempotent producer (no transactions), for sources that never pass a checkpoint. kafkajs retries a
 *   send for as long as it takes, so an outage just makes the send wait.
 * - transactional: records and the source's checkpoint in one Kafka transaction (see source-state-store.ts), under the
 *   transactional id `etl-source-<pipeline>`, the checkpoint in the same request as the records (its `ends`
 *   predicted, corrected in a second request when the broker's offsets differ). A transaction that fails is aborted
 *   and retried whole with a new producer (aborted records are invisible to read_committed consumers, so that is
 *   safe). A commit that got no answer may have gone through: the new producer settles it (Kafka finishes or aborts a
 *   predecessor's transaction before answering its init) and the state topic's `seq` tells which, so nothing is
 *   written twice.
 */
import {EtlError} from '../errors.js'
import type {Logger} from '../logger.js'
import {
  commitOutcomeUnknown,
  type BusMessage,
  type BusProducer,
  type MessageBus,
  type ProducedOffsets,
  type TopicBatch,
  type TransactionalProducer,
} from '../kafka/message-bus.js'
import {backoffDelay, sleep} from '../retry.js'
import {
  encodeSourceState,
  mergeEnds,
  readSourceState,
  SOURCE_STATE_TOPIC_CONFIG,
  type SourceState,
} from '../state/source-state-store.js'

/** One delivery: records for the pipeline topic and, when the source passed one, its position after them. */
export interface Pack {
  messages: BusMessage[]
  checkpoint?: {value: unknown}
}

export interface SourceDeliveryInputs {
  bus: MessageBus
  logger: Logger
  topic: string
  stateTopic: string
  stateKey: string
  transactionalId: string
  replicationFactor?: number
  label: string
  type: string
  /** Aborted when shutdown cannot wait any longer: a delivery still retrying then gives up (ETL_KAFKA). */
  force: AbortSignal
}

/** Errors retrying cannot fix: the same request would fail the same way. */
const PERMANENT = new RegExp(
  [
    'MESSAGE_TOO_LARGE',
    'RECORD_LIST_TOO_LARGE',
    'AUTHORIZATION_FAILED',
    'INVALID_RECORD',
    'UNSUPPORTED_VERSION',
    'UNSUPPORTED_FOR_MESSAGE_FORMAT',
    'INVALID_TRANSACTION_TIMEOUT',
    'INVALID_REQUIRED_ACKS',
    'TOPIC_AUTHORIZATION',
  ].join('|'),
)

function isPermanent(error: unknown): boolean {
  for (let e = error as {type?: string; cause?: unknown} | undefined; e; e = e.cause as typeof e) {
    if (e.type && PERMANENT.test(e.type)) return true
  }
  return false
}

export class SourceDelivery {
  private plain: BusProducer | undefined
  private producer: TransactionalProducer | undefined
  private state: SourceState | undefined
  private transactional = false
  /** A transaction whose commit got no answer, with the offsets its records would have. */
  private uncertain: {seq: number; offsets: Map<string, ProducedOffsets>} | undefined

  constructor(private readonly inputs: SourceDeliveryInputs) {}

  get isTransactional(): boolean {
    return this.transactional
  }

  /** Per partition, the offset after the last record this source ever committed (transactional mode only). */
  get committedEnds(): Map<number, bigint> {
    return this.state?.ends ?? new Map()
  }

  /**
   * Switches to transactions: creates the state topic, fences any older producer of this source (Kafka then settles
   * the transaction it left open) and reads the last committed state, in that order, so the state read is final.
   */
  async openTransactional(): Promise<SourceState | undefined> {
    if (this.transactional) return this.state
    const {bus, stateTopic, replicationFactor} = this.inputs
    await bus.ensureTopic({
      topic: stateTopic,
      partitions: 1,
      replicationFactor,
      configEntries: SOURCE_STATE_TOPIC_CONFIG,
    })
    const producer = await bus.createTransactionalProducer(this.inputs.transactionalId)
    try {
      this.state = await readSourceState(bus, stateTopic, this.inputs.stateKey)
    } catch (error) {
      await producer.disconnect().catch(() => undefined)
      throw error
    }
    this.producer = producer
    this.transactional = true
    return this.state
  }

  /** Delivers one pack, retrying until it is in Kafka. Rejects only for good: fenced, a permanent error, or forced. */
  async deliver(pack: Pack, onFailure: (error: unknown, attempt: number) => void): Promise<ProducedOffsets> {
    if (pack.checkpoint && !this.transactional) await this.withRetries(() => this.openTransactional(), onFailure)
    return this.withRetries(() => (this.transactional ? this.sendTransaction(pack) : this.sendPlain(pack)), onFailure)
  }

  async close(): Promise<void> {
    await Promise.all([this.plain?.disconnect(), this.producer?.disconnect()].map((p) => p?.catch(() => undefined)))
    this.plain = this.producer = undefined
  }

  private async withRetries<T>(
    attempt: () => Promise<T>,
    onFailure: (error: unknown, attempt: number) => void,
  ): Promise<T> {
    for (let n = 1; ; n++) {
      if (this.inputs.force.aborted)
        throw new EtlError(
          'ETL_KAFKA',
          'gave up delivering to Kafka: the run was stopped while the broker did not answer',
        )
      try {
        return await attempt()
      } catch (error) {
        if (error instanceof EtlError && error.code === 'ETL_SOURCE_FENCED') throw error
        if (isPermanent(error)) throw error
        onFailure(error, n)
        await sleep(backoffDelay(n, {initialDelayMs: 500, maxDelayMs: 10_000}), this.inputs.force)
      }
    }
  }

  private async sendPlain(pack: Pack): Promise<ProducedOffsets> {
    this.plain ??= await this.inputs.bus.createProducer()
    return this.plain.send(this.inputs.topic, pack.messages)
  }

  private async sendTransaction(pack: Pack): Promise<ProducedOffsets> {
    const {topic} = this.inputs
    let producer = this.producer
    if (!producer) {
      const reopened = await this.reopen()
      if (reopened.settled) return reopened.settled
      producer = reopened.producer
    }
    const seq = (this.state?.seq ?? 0) + 1
    // Every transaction writes the state, even without a new checkpoint: its seq is how an unanswered commit is judged.
    // It goes out with the records, its `ends` predicted (see predictEnds); only when the offsets the broker gave
    // differ is the state written again with the real ones, and that later value of the key is the one read back.
    const before = this.state?.ends ?? new Map<number, bigint>()
    let predicted: Map<number, bigint> | undefined
    let state: SourceState | undefined
    try {
      const offsets = await producer.sendAtomically(
        [{topic, messages: pack.messages}],
        (written) => {
          const ends = mergeEnds(before, written.get(topic) ?? new Map())
          if (predicted && sameEnds(predicted, ends)) return []
          state = this.stateAfter(seq, pack, ends)
          return [this.stateBatch(state)]
        },
        (counts) => {
          predicted = predictEnds(before, counts.get(topic))
          if (!predicted) return []
          state = this.stateAfter(seq, pack, predicted)
          return [this.stateBatch(state)]
        },
      )
      this.state = state
      return offsets.get(topic) ?? new Map()
    } catch (error) {
      const sent = commitOutcomeUnknown(error)
      if (sent) this.uncertain = {seq, offsets: sent}
      await producer.disconnect().catch(() => undefined)
      this.producer = undefined
      throw error
    }
  }

  /**
   * Only after a failure: a new producer, which fences the one that failed and settles its last transaction. When that
   * one's commit got no answer and it did commit, its offsets (the pack is not sent again).
   */
  private async reopen(): Promise<{producer: TransactionalProducer; settled?: ProducedOffsets}> {
    const {bus, stateTopic, stateKey, topic} = this.inputs
    const producer = (this.producer = await bus.createTransactionalProducer(this.inputs.transactionalId))
    if (!this.uncertain) return {producer}
    const committed = await readSourceState(bus, stateTopic, stateKey)
    const {offsets, seq: attempted} = this.uncertain
    this.uncertain = undefined
    if (!committed || committed.seq < attempted) return {producer}
    this.inputs.logger.info('the transaction whose commit got no answer did commit; not sending it again', {
      seq: attempted,
    })
    this.state = committed
    return {producer, settled: offsets.get(topic) ?? new Map()}
  }

  private stateAfter(seq: number, pack: Pack, ends: Map<number, bigint>): SourceState {
    return {
      seq,
      checkpoint: pack.checkpoint ? pack.checkpoint.value : this.state?.checkpoint,
      label: this.inputs.label,
      type: this.inputs.type,
      at: new Date().toISOString(),
      ends,
    }
  }

  private stateBatch(state: SourceState): TopicBatch {
    return {topic: this.inputs.stateTopic, messages: [{key: this.inputs.stateKey, value: encodeSourceState(state)}]}
  }
}

/**
 * Where this transaction's records will end, per partition, before the broker says: right after the commit marker
 * that followed this source's last record there, plus the records going there now. Right whenever nothing else wrote
 * to the partition since (no other source of the pipeline, no aborted transaction); undefined when a partition was
 * never written by this source, so nothing can be predicted.
 */
export function predictEnds(
  before: Map<number, bigint>,
  counts: Map<number, number> | undefined,
): Map<number, bigint> | undefined {
  const ends = new Map(before)
  for (const [partition, records] of counts ?? []) {
    const last = before.get(partition)
    if (last === undefined) return undefined
    ends.set(partition, last + 1n + BigInt(records))
  }
  return ends
}

function sameEnds(a: Map<number, bigint>, b: Map<number, bigint>): boolean {
  return a.size === b.size && [...a].every(([partition, end]) => b.get(partition) === end)
}
