/**
 * A batch's pieces go through the transforms and sinks in chunks, so what a chunk allocates dies young instead of a
 * whole fetch's worth surviving the next scavenges (the young generation is kept small; see bin/run.js).
 */
import type {ConsumedMessage} from '../kafka/message-bus.js'
import type {Segment} from './sink-positions.js'

/** Messages decoded, transformed and written at a time within a batch (a fetch holds up to ~1 MB per partition). */
export const CHUNK_MESSAGES = 500

/**
 * The chunks of a segment, each with the offset after its last input (the segment's own for the last chunk). At least
 * one, also for an empty segment: a sink with positions hears of every input.
 */
export function* chunksOf(segment: Segment, size = CHUNK_MESSAGES): Generator<Segment> {
  for (let start = 0; start === 0 || start < segment.messages.length; start += size) {
    const messages: ConsumedMessage[] = segment.messages.slice(start, start + size)
    const last = start + size >= segment.messages.length
    yield {messages, nextOffset: last ? segment.nextOffset : BigInt(messages[messages.length - 1].offset) + 1n}
  }
}
