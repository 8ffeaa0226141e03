import {expect} from 'chai'
import {KeyedState, keyFields, keyLabel, keyProperty} from '../../../../src/plugins/shared/rolling/keyed-state.js'

describe('KeyedState', () => {
  it('keeps one state per combination of key values, created on first sight', () => {
    let created = 0
    const states = new KeyedState(['symbol', 'vs_currency'], () => ({id: ++created}))
    const btcUsd = states.of({symbol: 'BTC', vs_currency: 'usd', price_usd: 1})
    expect(states.of({symbol: 'BTC', vs_currency: 'usd', price_usd: 2})).to.equal(btcUsd)
    expect(states.of({symbol: 'BTC', vs_currency: 'eur'})).to.not.equal(btcUsd)
    expect(states.of({symbol: 'ETH', vs_currency: 'usd'})).to.not.equal(btcUsd)
    expect([created, states.size]).to.deep.equal([3, 3])
  })

  it('groups records missing a key field under an empty value, and [] makes one series', () => {
    const states = new KeyedState(['symbol', 'vs_currency'], () => ({}))
    expect(states.of({symbol: 'BTC'})).to.equal(states.of({symbol: 'BTC', vs_currency: null}))
    expect(states.of({symbol: 'BTC'})).to.equal(states.of({symbol: 'BTC', vs_currency: ''}))
    const single = new KeyedState([], () => ({}))
    expect(single.of({symbol: 'A'})).to.equal(single.of({symbol: 'B'}))
  })

  it('copies key fields for derived records and labels the series for messages', () => {
    expect(keyFields({symbol: 'BTC', price_usd: 1}, ['symbol', 'vs_currency'])).to.deep.equal({
      symbol: 'BTC',
      vs_currency: null,
    })
    expect(keyLabel({symbol: 'BTC', vs_currency: 'usd'}, ['symbol', 'vs_currency'])).to.equal('BTC/usd')
    expect(keyLabel({symbol: 'BTC'}, ['symbol', 'vs_currency'])).to.equal('BTC')
    expect(keyLabel({}, [])).to.equal('all records')
    expect(keyProperty().default).to.deep.equal(['symbol', 'vs_currency'])
  })
})
