/** Keeps the look-alike honest: its answers must have the shapes shared/reference/coingecko.md documents. */
import {expect} from 'chai'
import {startFakeCoinGecko, type FakeCoinGecko} from './fake-coingecko.js'

const ALL_FLAGS = 'include_market_cap=true&include_24hr_vol=true&include_24hr_change=true&include_last_updated_at=true'

/** A parsed JSON answer, read along the paths each test expects; a wrong path fails that test's assertion. */
interface JsonAnswer {
  readonly [key: string]: JsonAnswer
}

/** /coins/{id}/market_chart: [time, value] pairs per series. */
interface MarketChart {
  prices: number[][]
  market_caps: number[][]
  total_volumes: number[][]
}

describe('fake CoinGecko', () => {
  let fake: FakeCoinGecko
  const start = 1711356300
  beforeEach(async () => (fake = await startFakeCoinGecko({startTime: start})))
  afterEach(async () => fake.close())

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${fake.baseUrl}${path}`, {headers})
    const text = await response.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    return {status: response.status, headers: response.headers, text, body: body as JsonAnswer}
  }

  it('answers /ping like CoinGecko', async () => {
    expect((await get('/ping')).body).to.deep.equal({gecko_says: '(V3) To the Moon!'})
  })

  it('/simple/price: every include_* flag, precision=full, keys in CoinGecko order', async () => {
    const path = `/simple/price?ids=bitcoin&vs_currencies=usd,eur&${ALL_FLAGS}&precision=full`
    const {status, headers, body} = await get(path)
    expect(status).to.equal(200)
    expect(headers.get('content-type')).to.match(/^application\/json/)
    expect(Object.keys(body)).to.deep.equal(['bitcoin'])
    expect(Object.keys(body.bitcoin)).to.deep.equal([
      'usd',
      'usd_market_cap',
      'usd_24h_vol',
      'usd_24h_change',
      'eur',
      'eur_market_cap',
      'eur_24h_vol',
      'eur_24h_change',
      'last_updated_at',
    ])
    expect(body.bitcoin.usd).to.equal(67187.3358936566)
    expect(body.bitcoin.last_updated_at).to.equal(start)
    for (const value of Object.values(body.bitcoin)) expect(value).to.be.a('number')
    expect(fake.served.map((s) => [s.coin_id, s.vs, s.price, s.valid])).to.deep.equal([
      ['bitcoin', 'usd', 67187.3358936566, true],
      ['bitcoin', 'eur', body.bitcoin.eur, true],
    ])
  })

  it('/simple/price: only what was asked for, rounded without precision=full', async () => {
    const {body} = await get('/simple/price?ids=bitcoin,ethereum&vs_currencies=usd')
    expect(body).to.deep.equal({bitcoin: {usd: 67187.34}, ethereum: {usd: 3456.78}})
  })

  it('/simple/price: unknown ids are dropped; only unknown ids give {}', async () => {
    expect((await get('/simple/price?ids=bitcoin,nope-coin&vs_currencies=usd')).body).to.have.all.keys('bitcoin')
    expect((await get('/simple/price?ids=nope-coin&vs_currencies=usd')).body).to.deep.equal({})
  })

  it('/simple/price: missing vs_currencies is a 400 with an error text', async () => {
    const {status, body} = await get('/simple/price?ids=bitcoin')
    expect(status).to.equal(400)
    expect(body.error).to.be.a('string')
  })

  it('/coins/markets: an array of market objects with ISO last_updated', async () => {
    const {body} = await get('/coins/markets?vs_currency=usd&ids=bitcoin,ethereum')
    expect(body).to.be.an('array').with.length(2)
    for (const key of [
      'id',
      'symbol',
      'name',
      'current_price',
      'market_cap',
      'total_volume',
      'high_24h',
      'low_24h',
      'price_change_percentage_24h',
      'last_updated',
    ]) {
      expect(body[0]).to.have.property(key)
    }
    expect(body[0]).to.include({id: 'bitcoin', symbol: 'btc', current_price: 67187.3358936566, market_cap_rank: 1})
    expect(body[0].last_updated).to.equal(new Date(start * 1000).toISOString())
  })

  for (const [days, stepMs] of [
    [1, 300_000],
    [30, 3_600_000],
    [180, 86_400_000],
  ] as const) {
    it(`/coins/{id}/market_chart days=${days}: points every ${stepMs / 60_000} min, last point now`, async () => {
      const before = Date.now()
      const {body} = await get(`/coins/bitcoin/market_chart?vs_currency=usd&days=${days}`)
      expect(body).to.have.all.keys('prices', 'market_caps', 'total_volumes')
      const chart = body as unknown as MarketChart
      const times = chart.prices.map((p) => p[0])
      expect(chart.market_caps).to.have.length(times.length)
      expect(chart.total_volumes).to.have.length(times.length)
      expect(times.length).to.be.within((days * 86_400_000) / stepMs, (days * 86_400_000) / stepMs + 1)
      expect(times.at(-2)! - times.at(-3)!).to.equal(stepMs)
      expect(times.at(-1)).to.be.within(before, Date.now())
      expect(chart.prices.at(-1)![1]).to.equal(67187.3358936566)
    })
  }

  it('/coins/{id}/ohlc: [close time, open, high, low, close] candles', async () => {
    const {body} = await get('/coins/bitcoin/ohlc?vs_currency=usd&days=1')
    expect(body).to.be.an('array').with.length.within(47, 48)
    for (const [time, open, high, low, close] of body as unknown as number[][]) {
      expect(time % 1_800_000).to.equal(0)
      expect(high).to.be.at.least(Math.max(open, close))
      expect(low).to.be.at.most(Math.min(open, close))
    }
  })

  it('unknown coin: 404 {"error":"coin not found"}', async () => {
    const {status, body} = await get('/coins/nope-coin/market_chart?vs_currency=usd&days=1')
    expect([status, body]).to.deep.equal([404, {error: 'coin not found'}])
  })

  it('requireKey: 401 with CoinGecko status body unless the right key header is sent', async () => {
    await fake.close()
    fake = await startFakeCoinGecko({requireKey: true, apiKey: 'CG-right'})
    const missing = await get('/simple/price?ids=bitcoin&vs_currencies=usd')
    expect(missing.status).to.equal(401)
    expect(missing.body.status).to.include({error_code: 10002})
    expect(missing.body.status.error_message).to.match(/^API Key Missing/)
    expect(Number.isNaN(Date.parse(String(missing.body.status.timestamp)))).to.equal(false)
    expect(
      (await get('/simple/price?ids=bitcoin&vs_currencies=usd', {'x-cg-demo-api-key': 'CG-wrong'})).status,
    ).to.equal(401)
    const wrongHost = await get('/simple/price?ids=bitcoin&vs_currencies=usd', {'x-cg-pro-api-key': 'CG-right'})
    expect(wrongHost.body.status.error_code).to.equal(10010)
    const ok = await get('/simple/price?ids=bitcoin&vs_currencies=usd', {'x-cg-demo-api-key': 'CG-right'})
    expect(ok.status).to.equal(200)
    expect(fake.requests.at(-1)!.headers['x-cg-demo-api-key']).to.equal('CG-right')
  })

  it('faults are consumed one per /simple/price request, in order', async () => {
    fake.enqueue(
      {status: 429, retryAfter: 2, body: 'json'},
      {status: 429, body: 'html'},
      {status: 500},
      {status: 401},
      {malformed: 'truncated'},
      {malformed: 'html'},
    )
    const path = '/simple/price?ids=bitcoin,ethereum&vs_currencies=usd&include_last_updated_at=true'
    const rateLimited = await get(path)
    expect([rateLimited.status, rateLimited.headers.get('retry-after')]).to.deep.equal([429, '2'])
    expect(rateLimited.body.status.error_code).to.equal(429)
    expect((await get('/ping')).status).to.equal(200) // not /simple/price: no fault taken
    const htmlLimited = await get(path)
    expect(htmlLimited.status).to.equal(429)
    expect(htmlLimited.headers.get('content-type')).to.equal('text/html; charset=utf-8')
    expect(htmlLimited.body).to.equal(undefined)
    expect((await get(path)).status).to.equal(500)
    expect((await get(path)).body.status.error_code).to.equal(10002)
    const truncated = await get(path)
    expect(truncated.status).to.equal(200)
    expect(() => JSON.parse(truncated.text)).to.throw(SyntaxError)
    expect((await get(path)).text).to.match(/^<!DOCTYPE html>/)
    expect(fake.served).to.have.length(0)
    expect((await get(path)).body).to.have.all.keys('bitcoin', 'ethereum')
  })

  it('malformed values corrupt the first coin only and are marked invalid in served', async () => {
    fake.enqueue({malformed: 'wrong-types'}, {malformed: 'negative-price'}, {malformed: 'nan-price'})
    const path = '/simple/price?ids=bitcoin,ethereum&vs_currencies=usd&include_last_updated_at=true&precision=full'
    const wrong = (await get(path)).body
    expect(wrong.bitcoin.usd).to.equal('67187.3358936566')
    expect(wrong.bitcoin.last_updated_at).to.equal(new Date(start * 1000).toISOString())
    expect(wrong.ethereum).to.deep.equal({usd: 3456.781234567, last_updated_at: start})
    expect((await get(path)).body.bitcoin.usd).to.equal(-67187.3358936566)
    expect((await get(path)).text).to.include('"bitcoin":{"usd":null')
    expect(fake.served.map((s) => `${s.coin_id}:${s.valid}`)).to.deep.equal([
      'bitcoin:false',
      'ethereum:true',
      'bitcoin:false',
      'ethereum:true',
      'bitcoin:false',
      'ethereum:true',
    ])
  })

  it('Retry-After as an HTTP date; error objects and arrays with 200; 1e400; bad market data and times', async () => {
    fake.enqueue(
      {status: 429, retryAfter: 30, retryAfterFormat: 'date', body: 'html'},
      {malformed: 'error-200'},
      {malformed: 'not-object'},
      {malformed: 'huge-price'},
      {malformed: 'bad-market-data'},
      {malformed: 'future-time'},
      {malformed: 'ancient-time'},
    )
    const path = `/simple/price?ids=bitcoin,ethereum&vs_currencies=usd&${ALL_FLAGS}&precision=full`
    const limited = await get(path)
    const date = Date.parse(limited.headers.get('retry-after')!)
    expect(date - Date.now()).to.be.within(28_000, 30_000)
    expect(fake.requests.at(-1)!.retryAfter).to.equal(limited.headers.get('retry-after'))
    const error = await get(path)
    expect([error.status, error.body.status.error_code]).to.deep.equal([200, 429])
    expect((await get(path)).body)
      .to.be.an('array')
      .with.length(1)
    const huge = await get(path)
    expect(huge.text).to.include('"bitcoin":{"usd":1e400,')
    expect(huge.body.bitcoin.usd).to.equal(Infinity)
    const market = (await get(path)).body.bitcoin
    expect([Number(market.usd_market_cap) < 0, market.usd_24h_vol, market.usd_24h_change]).to.deep.equal([
      true,
      'lots',
      null,
    ])
    expect((await get(path)).body.bitcoin.last_updated_at).to.be.above(Date.now() / 1000 + 9 * 86_400)
    expect((await get(path)).body.bitcoin.last_updated_at).to.equal(1_000_000_000)
    // A record is still expected where only market data or the time was broken.
    expect(fake.served.filter((s) => s.coin_id === 'bitcoin').map((s) => s.valid)).to.deep.equal([
      false,
      true,
      true,
      true,
    ])
  })

  const marketChartFaultsTitle =
    'market_chart faults: queued apart from /simple/price, bad-points breaks 7 points and one market cap'
  it(marketChartFaultsTitle, async () => {
    fake.enqueueChart({status: 503}, {malformed: 'no-prices'}, {malformed: 'bad-points'})
    const path = '/coins/bitcoin/market_chart?vs_currency=usd&days=1'
    expect((await get('/simple/price?ids=bitcoin&vs_currencies=usd')).status).to.equal(200)
    expect((await get(path)).status).to.equal(503)
    expect((await get(path)).body).to.have.all.keys('market_caps')
    const broken = await get(path)
    const {prices, market_caps: caps} = broken.body as unknown as {prices: unknown[][]; market_caps: number[][]}
    expect(prices.slice(1, 8).map((p) => (Array.isArray(p) ? typeof p[1] : p))).to.deep.equal([
      'object',
      'number',
      'string',
      'number',
      'number',
      'garbage',
      'number',
    ])
    expect([prices[2][1], prices[7][1], caps[8][1]]).to.deep.equal([-5, Infinity, -1])
    expect(prices[0][1]).to.be.above(0)
    const served = (await get(path)).body.prices as unknown as number[][]
    expect(served.every((p) => p[1] > 0)).to.equal(true)
  })

  it('a 401 fault with echoKey quotes the key the request sent', async () => {
    fake.enqueue({status: 401, echoKey: true})
    const answer = await get('/simple/price?ids=bitcoin&vs_currencies=usd', {'x-cg-demo-api-key': 'CG-echoed-1'})
    expect([answer.status, answer.body.status.error_message]).to.deep.equal([401, 'Invalid API Key: CG-echoed-1'])
  })

  it('hangMs delays the answer', async () => {
    fake.enqueue({hangMs: 300})
    const before = Date.now()
    expect((await get('/simple/price?ids=bitcoin&vs_currencies=usd')).status).to.equal(200)
    expect(Date.now() - before).to.be.at.least(300)
  })

  const advanceTitle =
    'advance() moves every coin to a new price and last_updated_at; setPrice sets one; auto advances per answer'
  it(advanceTitle, async () => {
    const path =
      '/simple/price?ids=bitcoin,ethereum,solana&vs_currencies=usd&include_last_updated_at=true' + '&precision=full'
    const first = (await get(path)).body
    fake.advance()
    const second = (await get(path)).body
    for (const id of ['bitcoin', 'ethereum', 'solana']) {
      expect(second[id].usd).to.be.above(0).and.not.equal(first[id].usd)
      expect(second[id].last_updated_at).to.equal(Number(first[id].last_updated_at) + 60)
    }
    fake.setPrice('bitcoin', 'usd', 12345.5, start + 1000)
    fake.setPrice('my-token', 'usd', 0.5, start)
    expect(
      (await get('/simple/price?ids=bitcoin,my-token&vs_currencies=usd&include_last_updated_at=true')).body,
    ).to.deep.equal({
      bitcoin: {usd: 12345.5, last_updated_at: start + 1000},
      'my-token': {usd: 0.5, last_updated_at: start},
    })

    await fake.close()
    fake = await startFakeCoinGecko({auto: true, startTime: start, stepSeconds: 30})
    const times = []
    for (let i = 0; i < 3; i++) times.push((await get(path)).body.bitcoin.last_updated_at)
    expect(times).to.deep.equal([start, start + 30, start + 60])
    expect(fake.requests.map((r) => r.path)).to.deep.equal(['/simple/price', '/simple/price', '/simple/price'])
    expect(fake.requests[0].query).to.include({ids: 'bitcoin,ethereum,solana', precision: 'full'})
  })
})
