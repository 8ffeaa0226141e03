import {expect} from 'chai'
import {
  chartPointProblem,
  EARLIEST_TIME_MS,
  marketChartBodyProblem,
  MAX_FUTURE_MS,
  simplePriceBodyProblem,
  simplePriceEntryProblems,
  timeProblem,
} from '../../../../src/plugins/source/coingecko/response-schema.js'

const NOW_S = Math.floor(Date.now() / 1000)

describe('coingecko response schema', () => {
  describe('/simple/price', () => {
    it("accepts CoinGecko's own example entry, and one without market data", () => {
      const entry = {
        usd: 67187.3358936566,
        usd_market_cap: 1317802988326.25,
        usd_24h_vol: 31260929299.5248,
        usd_24h_change: -3.63727894677354,
        last_updated_at: 1711356300,
      }
      expect([...simplePriceEntryProblems(entry)]).to.deep.equal([])
      expect([...simplePriceEntryProblems({eur: 0.000001, last_updated_at: NOW_S})]).to.deep.equal([])
    })

    it('names each bad value with its reason and leaves the good ones alone', () => {
      const entry = {
        usd: -1,
        eur: 0,
        gbp: null,
        jpy: '151',
        btc: Infinity,
        eth: 2.5e-4,
        usd_market_cap: -5,
        usd_24h_vol: 'lots',
        eur_24h_vol: 0,
        usd_24h_change: null,
        eur_24h_change: -12.5,
        last_updated_at: 1_000_000_000,
      }
      expect(Object.fromEntries(simplePriceEntryProblems(entry))).to.deep.equal({
        usd: 'not greater than 0',
        eur: 'not greater than 0',
        gbp: 'not a number (null)',
        jpy: 'not a number (string)',
        btc: 'not a finite number',
        usd_market_cap: 'negative',
        usd_24h_vol: 'not a number (string)',
        usd_24h_change: 'not a number (null)',
        last_updated_at: 'before 2009-01-03 (seconds vs milliseconds mixed up?)',
      })
    })

    it('refuses last_updated_at in milliseconds, as text, or more than a day ahead', () => {
      const reason = (value: unknown) =>
        simplePriceEntryProblems({usd: 1, last_updated_at: value}).get('last_updated_at')
      expect(reason(Date.now())).to.equal('more than a day in the future')
      expect(reason(NOW_S + 2 * 86_400)).to.equal('more than a day in the future')
      expect(reason(NOW_S + 3600)).to.equal(undefined)
      expect(reason('2025-01-01T00:00:00Z')).to.equal('not a number (string)')
      expect(reason(1711356300.5)).to.match(/^not a/)
    })

    it('a body that is not an object, or an error object sent with 200, is unusable as a whole', () => {
      expect(simplePriceBodyProblem({bitcoin: {usd: 1}})).to.equal(undefined)
      expect(simplePriceBodyProblem({})).to.equal(undefined) // only unknown ids: CoinGecko's own answer
      expect(simplePriceBodyProblem([])).to.equal('expected a JSON object, got an array')
      expect(simplePriceBodyProblem('x')).to.equal('expected a JSON object, got string')
      expect(simplePriceBodyProblem({status: {error_code: 429, error_message: 'Rate Limit'}})).to.include(
        'it is an error object ("Rate Limit")',
      )
    })
  })

  describe('market_chart', () => {
    const T = Date.UTC(2025, 0, 1)

    it('checks the body as a whole', () => {
      expect(marketChartBodyProblem({prices: [], market_caps: [], total_volumes: []})).to.equal(undefined)
      expect(marketChartBodyProblem({prices: {}})).to.match(/\/prices must be array/)
      expect(marketChartBodyProblem({error: 'coin not found'}))
        .to.include("'prices'")
        .and.include('("coin not found")')
    })

    it('a point is [sane ms time, finite price > 0]; amounts may be 0', () => {
      expect(chartPointProblem([T, 1.5])).to.equal(undefined)
      expect(chartPointProblem([T, 0], 'amount')).to.equal(undefined)
      expect(chartPointProblem([T, 0])).to.equal('value not greater than 0')
      expect(chartPointProblem([T, -3], 'amount')).to.equal('value negative')
      expect(chartPointProblem([T, null])).to.equal('value not a number (null)')
      expect(chartPointProblem([T, Infinity])).to.equal('value not a finite number')
      expect(chartPointProblem([T / 1000, 5])).to.equal('time before 2009-01-03 (seconds vs milliseconds mixed up?)')
      expect(chartPointProblem([Date.now() + 2 * MAX_FUTURE_MS, 5])).to.equal('time more than a day in the future')
      expect(chartPointProblem([T])).to.equal('not a [time, value] pair')
      expect(chartPointProblem('garbage')).to.equal('not a [time, value] pair (string)')
    })
  })

  it('timeProblem: the genesis day and one day ahead are the edges', () => {
    const now = Date.UTC(2026, 0, 1)
    expect(timeProblem(EARLIEST_TIME_MS, now)).to.equal(undefined)
    expect(timeProblem(EARLIEST_TIME_MS - 1, now)).to.match(/before 2009/)
    expect(timeProblem(now + MAX_FUTURE_MS, now)).to.equal(undefined)
    expect(timeProblem(now + MAX_FUTURE_MS + 1, now)).to.match(/future/)
  })
})
