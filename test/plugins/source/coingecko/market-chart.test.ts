import {expect} from 'chai'
import {checkMarketChart, daysFor, marketChartRecords} from '../../../../src/plugins/source/coingecko/market-chart.js'

const target = {id: 'bitcoin', vs: 'usd', symbol: 'BTC'}
const T = Date.UTC(2025, 0, 1)
const H = 3_600_000

describe('coingecko market_chart records', () => {
  it('keeps points inside [from, until), oldest first, leaves out the final "now" point, aligns market data', () => {
    const body = {
      prices: [
        [T + 2 * H, 102],
        [T, 100],
        [T + H, 101],
        [T + 3 * H, 103],
        [T + 3 * H + 17, 104],
      ],
      market_caps: [
        [T + 2 * H, 2e12],
        [T, 1e12],
        [T + 999, 5],
        [T + 3 * H, 3e12],
        [T + 3 * H + 17, 4e12],
      ],
      total_volumes: [
        [T + 2 * H, 20],
        [T, 10],
        [T + H, 11],
      ],
    }
    const {records, rejected} = marketChartRecords(body, target, {from: T, until: T + 3 * H}, true)
    expect(rejected).to.equal(0)
    expect(records.map((r) => [r.timestamp, r.price_usd, r.market_cap_usd, r.volume_24h_usd])).to.deep.equal([
      [new Date(T).toISOString(), 100, 1e12, 10],
      [new Date(T + H).toISOString(), 101, null, 11], // market cap point has another time: not guessed
      [new Date(T + 2 * H).toISOString(), 102, 2e12, 20],
    ])
    expect(records[0]).to.include({
      symbol: 'BTC',
      coin_id: 'bitcoin',
      vs_currency: 'usd',
      source: 'coingecko_market_chart',
      change_24h_pct: null,
    })
  })

  it('counts points that are not [time, price > 0] pairs and emits none of them', () => {
    const body = {
      prices: [
        [T, 100],
        [T + H, -1],
        [T + 2 * H, 'x'],
        [null, 5],
        [T + 3 * H, 0],
        [T + 4 * H, 104],
        [T + 5 * H, 1],
      ],
    }
    const {records, rejected} = marketChartRecords(body, target, {from: 0, until: Infinity}, false)
    expect(records.map((r) => r.price_usd)).to.deep.equal([100, 104])
    expect(rejected).to.equal(4)
    expect(Object.keys(records[0])).to.not.include('market_cap_usd')
  })

  it('checks the body shape and asks for whole days', () => {
    expect(checkMarketChart({prices: []})).to.equal(undefined)
    expect(checkMarketChart([])).to.match(/object/)
    expect(checkMarketChart({error: 'coin not found'})).to.match(/prices/)
    expect([daysFor(1), daysFor(24 * H), daysFor(24 * H + 1), daysFor(90 * 24 * H)]).to.deep.equal([1, 1, 2, 90])
  })
})
