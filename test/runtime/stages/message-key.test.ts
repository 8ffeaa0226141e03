/** The one place message keys are made: the pipeline's key expression applied to a record. */
import {expect} from 'chai'
import {consumedMessageKey, messageKeyOf} from '../../../src/runtime/stages/message-key.js'

describe('message keys', () => {
  describe('messageKeyOf (records the source stage produces, dead letters of rejected records)', () => {
    it('a field name keys by that field; text and finite numbers become text', () => {
      const keyOf = messageKeyOf('symbol')
      expect(keyOf({symbol: 'BTC', key: 'other'})).to.equal('BTC')
      expect(keyOf({symbol: 42})).to.equal('42')
      expect(keyOf({symbol: 0})).to.equal('0')
      expect(keyOf({symbol: ''})).to.equal('')
    })

    it('anything else is no key: missing, null, booleans, objects, non-finite numbers', () => {
      const keyOf = messageKeyOf('symbol')
      for (const symbol of [undefined, null, true, false, {a: 1}, ['BTC'], Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(keyOf({symbol}), String(symbol)).to.equal(null)
      }
      expect(keyOf({price: 1})).to.equal(null)
    })

    it('an expression combines fields (the record is not changed)', () => {
      const keyOf = messageKeyOf("exchange + ':' + symbol")
      const record = {exchange: 'binance', symbol: 'BTC'}
      expect(keyOf(record)).to.equal('binance:BTC')
      expect(record).to.deep.equal({exchange: 'binance', symbol: 'BTC'})
      expect(messageKeyOf('`device id`')({'device id': 7})).to.equal('7')
    })

    it('no key expression (neither kafka.key nor a source that declares one): no key', () => {
      expect(messageKeyOf(undefined)({symbol: 'BTC', key: 'k'})).to.equal(null)
    })
  })

  describe('consumedMessageKey (dead letters of undecodable messages)', () => {
    it("is the consumed message's own key as UTF-8 text, or none", () => {
      expect(consumedMessageKey(Buffer.from('BTC'))).to.equal('BTC')
      expect(consumedMessageKey(Buffer.from('€uro'))).to.equal('€uro')
      expect(consumedMessageKey(null)).to.equal(null)
    })
  })
})
