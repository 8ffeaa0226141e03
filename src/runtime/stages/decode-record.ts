/** Consumed messages → records: a record is a JSON object; anything else becomes a dead letter, not a failure. */
import {EtlError, messageOf} from '../errors.js'
import type {ConsumedMessage} from '../kafka/message-bus.js'
import type {EtlRecord} from '../plugin-types.js'
import type {DeadLetter} from './dead-letters.js'
import {consumedMessageKey} from './message-key.js'

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

/** Decodes the messages of `partition`; the undecodable are pushed to `rejected` with their key, value and offset. */
export function decodeMessages(messages: ConsumedMessage[], partition: number, rejected: DeadLetter[]): EtlRecord[] {
  const records: EtlRecord[] = []
  for (const message of messages) {
    try {
      records.push(decodeRecord(message.value))
    } catch (error) {
      const {code, message: reason} = error as EtlError
      rejected.push({
        key: consumedMessageKey(message.key),
        value: message.value ?? '',
        code,
        message: reason,
        plugin: 'decode',
        partition,
        offset: message.offset,
      })
    }
  }
  return records
}
