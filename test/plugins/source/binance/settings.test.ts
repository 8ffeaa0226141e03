/**
 * The binance source's config checks (what `etl validate` reports, with the helpful wording) and the mapping of
 * stream payloads to records: pairs split into base and quote, klines only when final, mini-tickers by event time.
 */
import {expect} from 'chai'
import binance from '../../../../src/plugins/source/binance/index.js'
import {settings, splitPair, streamUrl} from '../../../../src/plugins/source/binance/settings.js'
import {StreamEvents} from '../../../../src/plugins/source/binance/stream-events.js'
import {checkConfig} from '../../../../src/testing/plugin-config.js'

describe('binance source config', () => {
  it('splits pairs into base and quote, longest quote first, with overrides', () => {
    expect(splitPair('BTCUSDT')).to.deep.equal({base: 'BTC', quote: 'USDT'})
    expect(splitPair('BTCFDUSD')).to.deep.equal({base: 'BTC', quote: 'FDUSD'})
    expect(splitPair('ETHBTC')).to.deep.equal({base: 'ETH', quote: 'BTC'})
    expect(splitPair('ABCXYZ')).to.equal(undefined)
    expect(splitPair('ABCXYZ', {ABCXYZ: 'XYZ'})).to.deep.equal({base: 'ABC', quote: 'XYZ'})
  })

  it('reports symbols of the wrong form and unknown quote assets, with a fix', async () => {
    const issues = await checkConfig(binance, {symbols: ['btc-usdt', 'BTCUSDT', 'ABCXYZ']})
    expect(issues).to.deep.equal([
      {
        path: ['symbols', 0],
        message:
          '"btc-usdt" is not a Binance pair: write it in upper case without separator, e.g. BTCUSDT — did you mean ' +
          '"BTCUSDT"?',
      },
      {
        path: ['symbols', 2],
        message:
          'cannot tell the quote asset of "ABCXYZ" (it ends in none of ' +
          'FDUSD, USDT, USDC, TUSD, BUSD, USDP, EURI, AEUR, BTC, ETH, BNB, EUR, GBP, TRY, BRL, JPY, AUD, MXN, PLN, ' +
          'RON, ZAR, UAH, ARS, COP, IDR, DAI, XRP, TRX, DOGE, SOL): name it in quotes, e.g. quotes: {ABCXYZ: XYZ}',
      },
    ])
    expect(await checkConfig(binance, {symbols: ['ABCXYZ'], quotes: {ABCXYZ: 'XYZ'}})).to.deep.equal([])
  })

  it('rejects a stream Binance does not have, and requires symbols', async () => {
    const issues = await checkConfig(binance, {symbols: ['BTCUSDT'], stream: 'kline_2m'})
    expect(issues).to.have.length(1)
    expect(issues[0].path).to.deep.equal(['stream'])
    expect((await checkConfig(binance, {}))[0].message).to.match(/symbols/)
    expect(await checkConfig(binance, {symbols: ['BTCUSDT'], stream: 'kline_1M'})).to.deep.equal([])
  })

  it('builds the combined-stream URL with lower-case stream names', () => {
    const s = settings({symbols: ['BTCUSDT', 'ETHBTC'], stream: 'aggTrade', baseUrl: 'ws://127.0.0.1:1/'}, {})
    expect(streamUrl(s)).to.equal('ws://127.0.0.1:1/stream?streams=btcusdt@aggTrade/ethbtc@aggTrade')
    expect(settings({symbols: ['BTCUSDT']}, {}).restUrl).to.equal('https://api.binance.com')
  })
})

describe('binance stream events', () => {
  const s = (stream: string) => settings({symbols: ['BTCUSDT'], stream: stream as 'trade'}, {})
  const events = (stream: string) => new StreamEvents(s(stream).pairs, stream)

  it('a kline becomes a record only when final, stamped with the candle open', () => {
    const k = {t: 1631636700000, T: 1631636999999, s: 'BTCUSDT', i: '5m', o: '46686.15', c: '46673.53'}
    const kline = (x: boolean) => ({
      stream: 'btcusdt@kline_5m',
      data: {e: 'kline', E: 1631636735735, s: 'BTCUSDT', k: {...k, h: '46686.15', l: '46668.45', v: '12.2', n: 582, x}},
    })
    expect(events('kline_5m').read(kline(false))).to.deep.equal({kind: 'partial'})
    const final = events('kline_5m').read(kline(true))
    expect(final.kind).to.equal('item')
    if (final.kind !== 'item') return
    expect(final.item.position).to.equal(1631636700000)
    expect(final.item.record).to.include({
      symbol: 'BTC',
      price_usdt: 46673.53,
      open: 46686.15,
      low: 46668.45,
      timestamp: '2021-09-14T16:25:00.000Z',
      trades: 582,
    })
  })

  it('a mini-ticker is positioned by its event time; other event types on it are unknown', () => {
    const data = {e: '24hrMiniTicker', E: 1672515782136, s: 'BTCUSDT', c: '0.0025', o: '0.0010', h: '0.0025'}
    const event = events('miniTicker').read({stream: 'btcusdt@miniTicker', data: {...data, l: '0.001', v: '1'}})
    expect(event).to.have.nested.property('item.position', 1672515782136)
    expect(event).to.have.nested.property('item.record.price_usdt', 0.0025)
    expect(events('miniTicker').read({stream: 'btcusdt@miniTicker', data: {...data, e: 'trade'}}).kind).to.equal(
      'unknown',
    )
  })

  it('server shutdown notices, replies and error replies are told apart', () => {
    const e = events('trade')
    expect(e.read({stream: '!serverShutdown', data: {e: 'serverShutdown', E: 1}})).to.deep.equal({kind: 'shutdown'})
    expect(e.read({e: 'serverShutdown', E: 1})).to.deep.equal({kind: 'shutdown'})
    expect(e.read({result: null, id: 1})).to.deep.equal({kind: 'reply', id: 1})
    expect(e.read({error: {code: 2, msg: 'Invalid request: invalid stream'}, id: 2})).to.deep.equal({
      kind: 'error-reply',
      id: 2,
      error: '{"code":2,"msg":"Invalid request: invalid stream"}',
    })
  })

  it('rejects prices that are not positive decimals (never floats parsed from junk)', () => {
    const trade = {e: 'trade', E: 2, s: 'BTCUSDT', t: 5, q: '1', T: 2, m: false}
    for (const p of ['-1', '1e5', 'NaN', '0', 12]) {
      const event = events('trade').read({stream: 'btcusdt@trade', data: {...trade, p}})
      expect(event.kind, String(p)).to.equal(p === 12 ? 'item' : 'invalid')
    }
  })
})
