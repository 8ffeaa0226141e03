import {expect} from 'chai'
import {parseTrade, tradeRecord} from '../../../../src/plugins/source/coinbase/trade.js'
import {TradeLedger} from '../../../../src/plugins/source/coinbase/trade-ledger.js'

const match = {
  type: 'match',
  trade_id: 10,
  sequence: 50,
  time: '2014-11-07T08:19:27.028459Z',
  product_id: 'BTC-USD',
  size: '5.23512',
  price: '400.23',
  side: 'sell',
}

describe('coinbase trades', () => {
  it('turns the documented match into a house record with the taker side', () => {
    const trade = parseTrade(match, 'BTC-USD')
    expect(typeof trade).to.equal('object')
    expect(tradeRecord(trade as Exclude<typeof trade, string>)).to.deep.equal({
      symbol: 'BTC',
      price_usd: 400.23,
      timestamp: '2014-11-07T08:19:27.028Z',
      trade_id: 10,
      quantity: 5.23512,
      side: 'buy', // maker sold: the taker bought (an up-tick)
      exchange: 'coinbase',
      product: 'BTC-USD',
      quote: 'USD',
    })
  })

  it('names the field that makes a trade unusable', () => {
    expect(parseTrade({...match, trade_id: '10'}, 'BTC-USD')).to.match(/trade_id/)
    expect(parseTrade({...match, price: 400.23}, 'BTC-USD')).to.match(/price/)
    expect(parseTrade({...match, price: '0'}, 'BTC-USD')).to.match(/price/)
    expect(parseTrade({...match, size: '-1'}, 'BTC-USD')).to.match(/size/)
    expect(parseTrade({...match, side: 'up'}, 'BTC-USD')).to.match(/side/)
    expect(parseTrade({...match, time: 1415348367}, 'BTC-USD')).to.match(/time/)
  })
})

describe('coinbase trade ledger', () => {
  it('tells first, next, repeat and gap apart, and never moves back', () => {
    const ledger = new TradeLedger(['BTC-USD'])
    expect(ledger.judge('BTC-USD', 5)).to.deep.equal({kind: 'first'})
    ledger.advance('BTC-USD', 5)
    expect(ledger.judge('BTC-USD', 6)).to.deep.equal({kind: 'next'})
    expect(ledger.judge('BTC-USD', 5)).to.deep.equal({kind: 'repeat'})
    expect(ledger.judge('BTC-USD', 9)).to.deep.equal({kind: 'gap', after: 5, missing: 3})
    ledger.advance('BTC-USD', 3)
    expect(ledger.checkpoint()).to.deep.equal({v: 1, last: {'BTC-USD': 5}})
  })

  it('restores only configured products and valid ids; refuses what is not its checkpoint', () => {
    const ledger = new TradeLedger(['BTC-USD', 'ETH-USD'])
    expect(ledger.restore({v: 1, last: {'BTC-USD': 7, 'ETH-USD': -1, 'SOL-USD': 3}})).to.equal(undefined)
    expect(ledger.checkpoint()).to.deep.equal({v: 1, last: {'BTC-USD': 7}})
    expect(new TradeLedger(['BTC-USD']).restore({latest: {}})).to.match(/not a coinbase checkpoint/)
  })
})
