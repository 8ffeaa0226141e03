/** Consumed messages → records; what cannot be a record becomes a dead letter with its key, value and offset. */
import {expect} from 'chai'
import type {EtlError} from '../../../src/runtime/errors.js'
import type {ConsumedMessage} from '../../../src/runtime/kafka/message-bus.js'
import type {DeadLetter} from '../../../src/runtime/stages/dead-letters.js'
import {decodeMessages, decodeRecord} from '../../../src/runtime/stages/decode-record.js'

const message = (offset: number, value: string | null, key: string | null = null): ConsumedMessage => ({
  offset: String(offset),
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  headers: {},
})

describe('decodeRecord', () => {
  it('decodes a JSON object', () => {
    expect(decodeRecord(Buffer.from('{"a":1}'))).to.deep.equal({a: 1})
  })

  for (const [value, reason] of [
    [null, 'message has no value'],
    ['{', 'value is not JSON: '],
    ['[1]', 'value is JSON but not an object'],
    ['null', 'value is JSON but not an object'],
    ['3', 'value is JSON but not an object'],
  ] as const) {
    it(`rejects ${String(value)} with ETL_RECORD_INVALID`, () => {
      let error: EtlError | undefined
      try {
        decodeRecord(value === null ? null : Buffer.from(value))
      } catch (thrown) {
        error = thrown as EtlError
      }
      expect(error?.code).to.equal('ETL_RECORD_INVALID')
      expect(error?.message.startsWith(reason)).to.equal(true)
    })
  }
})

describe('decodeMessages', () => {
  it('keeps the order of the records and dead-letters the rest with key, value, partition and offset', () => {
    const rejected: DeadLetter[] = []
    const records = decodeMessages(
      [message(5, '{"n":1}'), message(6, 'oops', 'BTC'), message(7, null), message(8, '{"n":2}')],
      3,
      rejected,
    )
    expect(records).to.deep.equal([{n: 1}, {n: 2}])
    expect(rejected).to.deep.equal([
      {
        key: 'BTC',
        value: Buffer.from('oops'),
        code: 'ETL_RECORD_INVALID',
        message: rejected[0].message,
        plugin: 'decode',
        partition: 3,
        offset: '6',
      },
      {
        key: null,
        value: '',
        code: 'ETL_RECORD_INVALID',
        message: 'message has no value',
        plugin: 'decode',
        partition: 3,
        offset: '7',
      },
    ])
    expect(rejected[0].message).to.match(/^value is not JSON: /)
  })
})
