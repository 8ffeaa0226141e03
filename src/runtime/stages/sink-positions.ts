/**
 * Exactly-once into sinks that record positions (SinkInstance.positions): per sink and partition, the offset after the
 * last input whose outputs the sink durably holds. A batch delivered again after a crash (flushed, not committed) is
 * cut at those offsets; the process stage runs every piece through the transforms (their state needs it) but hands a
 * sink only the pieces past its position. Sinks without positions get everything: at-least-once.
 */
import type {ConsumedMessage, MessageBus} from '../kafka/message-bus.js'
import type {Logger} from '../logger.js'
import type {Counters} from '../counters.js'
import {scopeOf} from '../plugin-context.js'
import type {SinkInstance, SinkOrigin} from '../plugin-types.js'
import {callPlugin} from './call-plugin.js'
import type {Running} from './partition-chains.js'

export interface Segment {
  messages: ConsumedMessage[]
  /** The offset after the segment's last input: the position a sink reaches by writing its outputs. */
  nextOffset: bigint
}

interface PositionInputs {
  bus: MessageBus
  topic: string
  logger: Logger
  counters: Counters
}

export class SinkPositions {
  /** Skips already logged, by sink index, partition and position: one line per partition after a restart. */
  private readonly logged = new Set<string>()

  private constructor(
    /** By sink index; undefined for at-least-once sinks. */
    private readonly positions: (Map<number, bigint> | undefined)[],
    private readonly sinks: Running<SinkInstance>[],
    private readonly inputs: PositionInputs,
  ) {}

  /** Asks every sink for its positions, at start. */
  static async read(inputs: PositionInputs & {sinks: Running<SinkInstance>[]}): Promise<SinkPositions> {
    const {sinks} = inputs
    const positions = new SinkPositions([], sinks, inputs)
    for (const index of sinks.keys()) positions.positions.push(await positions.ask(index))
    return positions
  }

  /**
   * Asks the exactly-once sinks again, after a rebalance: another process may have written a partition this one
   * owns now (several process workers into one database). A position only moves forward: the larger of what this
   * process knows and what the sink reports wins.
   */
  async reload(): Promise<void> {
    for (const [index, known] of this.positions.entries()) {
      if (!known) continue
      for (const [partition, offset] of (await this.ask(index)) ?? []) {
        if ((known.get(partition) ?? -1n) < offset) known.set(partition, offset)
      }
    }
  }

  /**
   * One sink's positions. A position past the topic's end cannot be of this topic (it was deleted and created
   * again): ignored with a warning, since honouring it would skip new records.
   */
  private async ask(index: number): Promise<Map<number, bigint> | undefined> {
    const {bus, topic, logger} = this.inputs
    const {stage, instance} = this.sinks[index]
    const position = (await callPlugin(stage, 'process', 'positions', () => instance.positions?.(topic))) ?? undefined
    if (!position || position.size === 0) return position
    const ends = await bus.endOffsets(topic)
    for (const [partition, offset] of position) {
      const end = ends.get(partition) ?? 0n
      if (offset <= end) continue
      logger.warn(
        `${scopeOf(stage)}: its recorded position ${offset} in partition ${partition} ` +
          `is past the end of ${topic} (${end}); the topic was recreated? ` +
          'ignoring the position (delete the sink file and its .offsets.json to start afresh)',
      )
      position.delete(partition)
    }
    return position
  }

  /** True when some sink records positions (it then gets a write per batch even with no records for it). */
  isExactlyOnce(index: number): boolean {
    return this.positions[index] !== undefined
  }

  /** The messages cut at every sink position that falls inside them (`next`: the offset after the batch). */
  segmentsOf(partition: number, messages: ConsumedMessage[], next: bigint): Segment[] {
    const first = BigInt(messages[0].offset)
    const cuts = [...new Set(this.positions.map((p) => p?.get(partition)))]
      .filter((cut): cut is bigint => cut !== undefined && cut > first && cut < next)
      .sort((a, b) => (a < b ? -1 : 1))
    const segments: Segment[] = []
    let rest = messages
    for (const cut of cuts) {
      const end = rest.findIndex((m) => BigInt(m.offset) >= cut)
      segments.push({messages: rest.slice(0, end), nextOffset: cut})
      rest = rest.slice(end)
    }
    segments.push({messages: rest, nextOffset: next})
    return segments
  }

  /** True (and counted, logged once) when sink `index` already holds the outputs of `origin`'s input. */
  alreadyWritten(index: number, origin: SinkOrigin, records: number): boolean {
    const at = this.positions[index]?.get(origin.partition)
    if (at === undefined || at < origin.nextOffset) return false
    const {stage} = this.sinks[index]
    this.inputs.counters.add(scopeOf(stage), 'skipped_already_written', records)
    const key = `${index}/${origin.partition}/${at}`
    if (records > 0 && !this.logged.has(key)) {
      this.logged.add(key)
      this.inputs.logger.info(
        `${scopeOf(stage)}: partition ${origin.partition}: ` +
          `skipping ${records} record(s) already written before the restart ` +
          `(outputs of the input below offset ${at}, which the sink recorded)`,
      )
    }
    return true
  }

  /** After every sink flushed a batch of `partition` up to `next`: what a redelivery of it must skip. */
  flushed(partition: number, next: bigint): void {
    for (const position of this.positions) {
      if (position && (position.get(partition) ?? -1n) < next) position.set(partition, next)
    }
  }
}
