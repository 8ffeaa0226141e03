import {expect} from 'chai'
import {
  eventsOf,
  parseAdvancedTicker,
  parseAdvancedTrade,
  SequenceWatch,
  timeMs,
} from '../../../../src/plugins/source/coinbase/advanced-messages.js'

// The real market_trades trade quoted in shared/reference/exchanges.md §3.2 (gh:ccxt/ccxt#27606).
const trade = {
  product_id: 'BTC-USD',
  trade_id: '929248657',
  price: '88355.59',
  size: '0.00136573',
  time: '2025-12-31T06:00:12.44524Z',
  side: 'SELL',
}

describe('coinbase Advanced Trade messages', () => {
  it('reads RFC 3339 times with any number of fractional digits, to the millisecond', () => {
    expect(timeMs('2025-12-31T06:00:12.516946132Z')).to.equal(Date.parse('2025-12-31T06:00:12.516Z'))
    expect(timeMs('2025-12-31T06:00:12.44524Z')).to.equal(Date.parse('2025-12-31T06:00:12.445Z'))
    expect(timeMs('2025-12-31T06:00:12.4Z')).to.equal(Date.parse('2025-12-31T06:00:12.400Z'))
    expect(timeMs('2025-12-31T06:00:12Z')).to.equal(Date.parse('2025-12-31T06:00:12.000Z'))
    expect(timeMs('2025-12-31T07:00:12.5+01:00')).to.equal(Date.parse('2025-12-31T06:00:12.500Z'))
    for (const bad of ['2023-06-23 20:31:56.121961769 +0000 UTC', '', 12, null])
      expect(Number.isNaN(timeMs(bad)), String(bad)).to.equal(true)
  })

  it('parses a trade: the id from its string, the maker side kept as sent', () => {
    expect(parseAdvancedTrade(trade, 'BTC-USD')).to.deep.equal({
      product: 'BTC-USD',
      tradeId: 929248657,
      price: 88355.59,
      size: 0.00136573,
      makerSide: 'sell',
      timeMs: Date.parse('2025-12-31T06:00:12.445Z'),
    })
  })

  it('names the field that makes a trade unusable', () => {
    const reason = (patch: Record<string, unknown>) => parseAdvancedTrade({...trade, ...patch}, 'BTC-USD')
    expect(reason({trade_id: 929248657})).to.equal('trade_id is not a positive integer string')
    expect(reason({trade_id: '0'})).to.equal('trade_id is not a positive integer string')
    expect(reason({price: 88355.59})).to.equal('price is not a decimal string > 0')
    expect(reason({size: '-1'})).to.equal('size is not a decimal string > 0')
    expect(reason({side: 'sell'})).to.equal('side is neither BUY nor SELL')
    expect(reason({time: 'yesterday'})).to.equal('time is not an RFC 3339 time')
  })

  it('parses a ticker at its envelope time, best bid and ask when present', () => {
    const at = timeMs('2023-02-09T20:30:37.167359596Z')
    const raw = {type: 'ticker', product_id: 'BTC-USD', price: '21932.98', best_bid: '21931.98', best_ask: '21933.98'}
    expect(parseAdvancedTicker({...raw, volume_24_h: '16038.28770938'}, 'BTC-USD', at)).to.include({
      product: 'BTC-USD',
      sequence: at,
      price: 21932.98,
      bestBid: 21931.98,
      bestAsk: 21933.98,
      volume24h: 16038.28770938,
      timeMs: at,
    })
    expect(parseAdvancedTicker({...raw, price: 'x'}, 'BTC-USD', at)).to.equal('price is not a decimal string > 0')
    expect(parseAdvancedTicker(raw, 'BTC-USD', Number.NaN)).to.match(/envelope timestamp/)
  })

  it('takes the object events of an envelope; none when events is not a list', () => {
    expect(eventsOf({events: [{type: 'update'}, 3, null, [1]]})).to.deep.equal([{type: 'update'}])
    expect(eventsOf({events: 'none'})).to.equal(undefined)
  })

  it('counts messages skipped in a connection by sequence_num; a reset starts a new count', () => {
    const watch = new SequenceWatch()
    expect([0, 1, 2, 5, 4, 6, 'x', 9].map((n) => watch.skipped(n))).to.deep.equal([0, 0, 0, 2, 0, 0, 0, 2])
    watch.reset()
    expect(watch.skipped(0)).to.equal(0)
  })
})
