/**
 * The process stage's dead-letter topic: messages that are not a JSON object, and records a transform or sink
 * rejected (context.reject), go there with the reason in their headers while the rest of the batch flows on.
 */
import type {Counters} from '../counters.js'
import type {BusMessage} from '../kafka/message-bus.js'
import type {Logger} from '../logger.js'
import type {Rejection} from '../plugin-context.js'
import type {MessageKeyOf} from './message-key.js'
import type {OutputProducer} from './output-producer.js'
import {pluginLabel} from './routing.js'

export interface DeadLetter {
  key: string | null
  value: Buffer | string
  code: string
  message: string
  /** Who sent it there: `decode`, or the rejecting plugin's label (`transform:weekly`). */
  plugin: string
  partition?: number
  offset?: string
}

/** A dead letter as it is produced: the original value and key, and headers saying why and where it came from. */
export function deadLetterMessage(letter: DeadLetter, sourceTopic: string): BusMessage {
  return {
    key: letter.key,
    value: letter.value,
    headers: {
      'etl-error-code': letter.code,
      'etl-error-message': letter.message,
      'etl-stage': 'process',
      'etl-plugin': letter.plugin,
      'etl-source-topic': sourceTopic,
      ...(letter.partition === undefined ? {} : {'etl-source-partition': String(letter.partition)}),
      ...(letter.offset === undefined ? {} : {'etl-source-offset': letter.offset}),
    },
  }
}

/**
 * A record a transform or sink rejected, as a dead letter: the record itself is the value, as JSON, keyed as a
 * message of that record would be.
 */
export function rejectionLetter(rejection: Rejection, keyOf: MessageKeyOf, partition?: number): DeadLetter {
  return {
    key: keyOf(rejection.record),
    value: JSON.stringify(rejection.record),
    code: rejection.code,
    message: rejection.reason,
    plugin: pluginLabel(rejection.stage),
    partition,
  }
}

export interface DeadLetterInputs {
  topic: string
  /** The pipeline's message key (stages/message-key.ts). */
  keyOf: MessageKeyOf
  producer: OutputProducer
  counters: Counters
  logger: Logger
}

export class DeadLetters {
  /** Records plugins rejected while the current batch was handled; they are written before its commit. */
  private rejections: Rejection[] = []

  constructor(private readonly inputs: DeadLetterInputs) {}

  /** What plugins' context.reject reports to (bound: it is handed over as a callback). */
  readonly reject = (rejection: Rejection): void => void this.rejections.push(rejection)

  /** A batch that failed before is being delivered again: its rejections are made again, so the old ones go. */
  forgetRejections(): void {
    this.rejections = []
  }

  /** The rejections noted since the last take, as dead letters of `partition` (undefined at shutdown). */
  takeRejections(partition?: number): DeadLetter[] {
    const letters = this.rejections.map((rejection) => rejectionLetter(rejection, this.inputs.keyOf, partition))
    this.rejections = []
    return letters
  }

  /** Produces `letters` (consumed from `sourceTopic`) to the dead-letter topic, counts and logs each. */
  async write(sourceTopic: string, letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return
    const {topic, producer, counters, logger} = this.inputs
    const messages = letters.map((letter) => deadLetterMessage(letter, sourceTopic))
    await (await producer.forTopic(topic, 1)).send(topic, messages)
    const byCode = new Map<string, number>()
    for (const letter of letters) byCode.set(letter.code, (byCode.get(letter.code) ?? 0) + 1)
    for (const [code, count] of byCode) counters.add('process', 'dead_lettered', count, {code})
    for (const letter of letters) {
      logger.warn(`record sent to ${topic} by ${letter.plugin}: ${letter.code} ${letter.message}`, {
        ...(letter.partition === undefined ? {} : {partition: letter.partition}),
        ...(letter.offset === undefined ? {} : {offset: letter.offset}),
      })
    }
  }
}
