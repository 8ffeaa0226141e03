/**
 * `etl tap` (and the latest records of `etl top`): the process stage hands the records leaving a step, or routed to a
 * sink, to this hub, which passes them to the HTTP clients watching that place (tap-endpoint.ts). A tap is a view,
 * never a participant: it reads no topic, joins no consumer group and moves no offset, and it never slows the
 * pipeline — a client that reads slower than records come gets some of them dropped (and told how many). With no
 * client connected the stage's hook is one boolean test per batch.
 */
import {redact} from '../logger.js'
import type {EtlRecord} from '../plugin-types.js'
import type {MessageKeyOf} from '../stages/message-key.js'

/** Where a tap watches: after transform step N (1-based; 0 = as decoded from the topic), or what a sink is given. */
export type TapPoint = {step: number} | {sink: string}

/** One line of a tap stream: the record, its partition, its message key by the pipeline's key expression. */
export interface TapEvent {
  partition: number | null
  key: string | null
  record: EtlRecord
  /** Records this client missed so far because it read slower than they came (absent while none were). */
  dropped?: number
}

/** A connected watcher; `send` returns false once it wants no more (its limit reached). */
export interface TapClient {
  point: TapPoint
  /** False while the client's connection is still busy with earlier lines: the record is dropped, not queued. */
  ready(): boolean
  send(line: string): boolean
}

/** The places a pipeline has: transform steps 0..steps and its sinks' names (for a clear answer to a wrong one). */
export interface TapPlaces {
  steps: number
  sinks: string[]
}

export class TapHub {
  private readonly clients = new Map<TapClient, {dropped: number}>()

  constructor(
    readonly places: TapPlaces,
    private readonly keyOf: MessageKeyOf,
  ) {}

  /** Whether any client watches: the process stage calls nothing else while none does. */
  get active(): boolean {
    return this.clients.size > 0
  }

  /** Why `point` is not a place of this pipeline, or undefined when it is. */
  problemWith(point: TapPoint): string | undefined {
    const {steps, sinks} = this.places
    if ('step' in point) {
      const valid = Number.isInteger(point.step) && point.step >= 0 && point.step <= steps
      return valid ? undefined : `step ${point.step}: the pipeline has steps 0 (as consumed) to ${steps}`
    }
    return sinks.includes(point.sink) ? undefined : `sink ${point.sink}: the pipeline's sinks are ${sinks.join(', ')}`
  }

  /** Starts sending `client` the records of its place; the returned function detaches it. */
  attach(client: TapClient): () => void {
    this.clients.set(client, {dropped: 0})
    return () => void this.clients.delete(client)
  }

  /** Records leaving transform step `step` (0: decoded, before the first transform). */
  step(step: number, records: EtlRecord[], partition?: number): void {
    this.publish((point) => 'step' in point && point.step === step, records, partition)
  }

  /** Records handed to the sink named `sink` (after its where:). */
  sink(sink: string, records: EtlRecord[], partition?: number): void {
    this.publish((point) => 'sink' in point && point.sink === sink, records, partition)
  }

  private publish(watches: (point: TapPoint) => boolean, records: EtlRecord[], partition: number | undefined): void {
    for (const [client, tally] of this.clients) {
      if (!watches(client.point)) continue
      for (const record of records) {
        if (!client.ready()) {
          tally.dropped++
          continue
        }
        const event: TapEvent = {partition: partition ?? null, key: this.keyOf(record), record}
        if (tally.dropped > 0) event.dropped = tally.dropped
        if (!client.send(redact(JSON.stringify(event)) + '\n')) {
          this.clients.delete(client)
          break
        }
      }
    }
  }
}
