/** The dead-letter topic's messages: what they carry, and how rejections collect between batches. */
import {expect} from 'chai'
import {Counters} from '../../../src/runtime/counters.js'
import {createLogger} from '../../../src/runtime/logger.js'
import {DeadLetters, deadLetterMessage, rejectionLetter} from '../../../src/runtime/stages/dead-letters.js'
import {messageKeyOf} from '../../../src/runtime/stages/message-key.js'
import {OutputProducer} from '../../../src/runtime/stages/output-producer.js'
import {RecordingBus, stageOf} from './recording-bus.js'

const weekly = stageOf('transform', 'weekly', 'window')

describe('dead letters', () => {
  describe('deadLetterMessage', () => {
    it('keeps key and value and says why and where from in headers', () => {
      const message = deadLetterMessage(
        {
          key: 'BTC',
          value: Buffer.from('not json'),
          code: 'ETL_RECORD_INVALID',
          message: 'value is not JSON',
          plugin: 'decode',
          partition: 2,
          offset: '41',
        },
        'prices',
      )
      expect(message).to.deep.equal({
        key: 'BTC',
        value: Buffer.from('not json'),
        headers: {
          'etl-error-code': 'ETL_RECORD_INVALID',
          'etl-error-message': 'value is not JSON',
          'etl-stage': 'process',
          'etl-plugin': 'decode',
          'etl-source-topic': 'prices',
          'etl-source-partition': '2',
          'etl-source-offset': '41',
        },
      })
    })

    it('leaves out partition and offset headers it does not know (a rejection at shutdown)', () => {
      const message = deadLetterMessage({key: null, value: '{}', code: 'X', message: 'm', plugin: 'sink:out'}, 'prices')
      expect(message.headers).to.not.have.any.keys('etl-source-partition', 'etl-source-offset')
      expect(message.headers?.['etl-source-topic']).to.equal('prices')
    })
  })

  describe('rejectionLetter', () => {
    it('carries the rejected record as JSON, keyed by the pipeline key, labelled with the rejecting plugin', () => {
      const record = {symbol: 'ETH', price: 'n/a'}
      const rejection = {stage: weekly, record, code: 'ETL_VALUE_NOT_FINITE', reason: 'price'}
      const letter = rejectionLetter(rejection, messageKeyOf('symbol'), 1)
      expect(letter).to.deep.equal({
        key: 'ETH',
        value: JSON.stringify(record),
        code: 'ETL_VALUE_NOT_FINITE',
        message: 'price',
        plugin: 'transform:weekly',
        partition: 1,
      })
    })

    it('has no key when the pipeline has none, or the record gives none', () => {
      const rejection = {stage: weekly, record: {symbol: 'ETH'}, code: 'C', reason: 'r'}
      expect(rejectionLetter(rejection, messageKeyOf(undefined)).key).to.equal(null)
      expect(rejectionLetter({...rejection, record: {price: 1}}, messageKeyOf('symbol')).key).to.equal(null)
    })
  })

  describe('DeadLetters', () => {
    function setup() {
      const recording = new RecordingBus()
      const producer = new OutputProducer(recording.bus, {replicationFactor: 3, partitions: 6})
      const lines: string[] = []
      const counters = new Counters()
      const logger = createLogger('test', {write: (line) => lines.push(line)})
      const letters = new DeadLetters({topic: 'prices.dlq', keyOf: messageKeyOf('symbol'), producer, counters, logger})
      return {recording, letters, counters, lines}
    }

    it('hands out the rejections noted since the last take, once', () => {
      const {letters} = setup()
      letters.reject({stage: weekly, record: {symbol: 'A'}, code: 'C', reason: 'r'})
      letters.reject({stage: weekly, record: {symbol: 'B'}, code: 'C', reason: 'r'})
      expect(letters.takeRejections(4).map((l) => [l.key, l.partition])).to.deep.equal([
        ['A', 4],
        ['B', 4],
      ])
      expect(letters.takeRejections(4)).to.deep.equal([])
    })

    it('forgets the rejections of a batch that is delivered again', () => {
      const {letters} = setup()
      letters.reject({stage: weekly, record: {}, code: 'C', reason: 'r'})
      letters.forgetRejections()
      expect(letters.takeRejections()).to.deep.equal([])
    })

    it('produces to the dead-letter topic (created with one partition), counts and logs each letter', async () => {
      const {recording, letters, counters, lines} = setup()
      const letter = {key: 'k', value: 'v', code: 'ETL_RECORD_INVALID', message: 'bad', plugin: 'decode', partition: 0}
      await letters.write('prices', [letter, {...letter, key: 'k2'}])
      expect(recording.ensured).to.deep.equal([{topic: 'prices.dlq', partitions: 1, replicationFactor: 3}])
      expect(recording.sent).to.have.length(1)
      expect(recording.sent[0].topic).to.equal('prices.dlq')
      expect(recording.sent[0].messages.map((m) => m.key)).to.deep.equal(['k', 'k2'])
      expect(recording.sent[0].messages[0].headers?.['etl-source-topic']).to.equal('prices')
      expect(counters.get('process', 'dead_lettered')).to.equal(2)
      expect(
        lines.filter((l) => l.includes('record sent to prices.dlq by decode: ETL_RECORD_INVALID bad')),
      ).to.have.length(2)
    })

    it('writes nothing, and connects nothing, for no letters', async () => {
      const {recording, letters, counters} = setup()
      await letters.write('prices', [])
      expect(recording.connects).to.equal(0)
      expect(recording.ensured).to.deep.equal([])
      expect(counters.get('process', 'dead_lettered')).to.equal(0)
    })
  })
})
