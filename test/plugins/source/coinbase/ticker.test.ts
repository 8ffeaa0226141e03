import {expect} from 'chai'
import {parseTicker, TickerLedger} from '../../../../src/plugins/source/coinbase/ticker.js'

// The documented ticker message (Coinbase Exchange WebSocket docs, ../shared/reference/exchanges.md).
const DOCUMENTED = {
  type: 'ticker',
  sequence: 37475248783,
  product_id: 'ETH-USD',
  price: '1285.22',
  open_24h: '1310.79',
  volume_24h: '245532.79269678',
  low_24h: '1280.52',
  high_24h: '1313.8',
  volume_30d: '9788783.60117027',
  best_bid: '1285.04',
  best_bid_size: '0.46688654',
  best_ask: '1285.27',
  best_ask_size: '1.56637040',
  side: 'buy',
  time: '2022-10-19T23:28:22.061769Z',
  trade_id: 370843401,
  last_size: '11.4396987',
}

describe('coinbase ticker channel (ticker.ts)', () => {
  it('reads the documented ticker', () => {
    expect(parseTicker(DOCUMENTED, 'ETH-USD')).to.deep.equal({
      product: 'ETH-USD',
      sequence: 37475248783,
      price: 1285.22,
      bestBid: 1285.04,
      bestAsk: 1285.27,
      open24h: 1310.79,
      high24h: 1313.8,
      low24h: 1280.52,
      volume24h: 245532.79269678,
      lastSize: 11.4396987,
      tradeId: 370843401,
      timeMs: Date.parse('2022-10-19T23:28:22.061Z'),
    })
  })

  it('names what makes a ticker unusable; optional figures may be missing', () => {
    expect(parseTicker({...DOCUMENTED, sequence: '1'}, 'ETH-USD')).to.equal('sequence is not a positive integer')
    expect(parseTicker({...DOCUMENTED, price: 'NaN'}, 'ETH-USD')).to.equal('price is not a decimal string > 0')
    expect(parseTicker({...DOCUMENTED, time: 'yesterday'}, 'ETH-USD')).to.equal('time is not an ISO 8601 time')
    const bare = parseTicker({sequence: 5, price: '1', time: DOCUMENTED.time}, 'ETH-USD')
    expect(bare).to.deep.include({sequence: 5, price: 1, bestBid: undefined, tradeId: undefined})
  })

  it('passes each sequence once, never moves back, and restores only its own checkpoint', () => {
    const ledger = new TickerLedger(['BTC-USD', 'ETH-USD'])
    expect([5, 5, 4, 7].map((n) => ledger.take('BTC-USD', n))).to.deep.equal([true, false, false, true])
    expect(ledger.checkpoint()).to.deep.equal({v: 1, channel: 'ticker', sequence: {'BTC-USD': 7}})
    const next = new TickerLedger(['BTC-USD'])
    expect(next.restore({v: 1, channel: 'ticker', sequence: {'BTC-USD': 7, 'DOGE-USD': 3}})).to.equal(undefined)
    expect(next.checkpoint().sequence).to.deep.equal({'BTC-USD': 7})
    expect(new TickerLedger(['BTC-USD']).restore({v: 1, last: {'BTC-USD': 9}})).to.match(/not a checkpoint/)
  })
})
