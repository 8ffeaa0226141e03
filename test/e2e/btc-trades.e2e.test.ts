/**
 * End to end: the shipped pipelines/btc-trades.yaml as a user runs it (the built CLI, the real test broker), with its
 * two sources pointed at the Binance and Coinbase look-alikes through the environment. Every trade of both exchanges
 * reaches the trades CSV once, in id order per exchange, with one `price` column whatever the quote; every 1-second
 * candle in the candles CSV is the open/high/low/close/volume/count of exactly the trades of its exchange and second;
 * the price chart is drawn.
 */
import {expect} from 'chai'
import {parse} from 'csv-parse/sync'
import {existsSync, readFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stopCleanly} from '../support/exchange-trades-csv.js'
import {startFakeBinance, type FakeBinance} from '../support/fake-binance.js'
import {startFakeCoinbase, type FakeCoinbase} from '../support/fake-coinbase.js'
import {KillHarness, sleep, waitFor} from '../support/kill-restart.js'
import {buildCli, REPO} from '../support/run-cli.js'

const PIPELINE = join(REPO, 'pipelines', 'btc-trades.yaml')

type Row = Record<string, string>

/** The CSV's rows; a half-written last row (etl is writing) reads as not there yet. */
function rowsOf(path: string): Row[] {
  if (!existsSync(path)) return []
  const text = readFileSync(path, 'utf8')
  return parse(text.slice(0, text.lastIndexOf('\n') + 1), {columns: true}) as Row[]
}

/** What a 1-second candle of these trades must hold, computed here from the trades CSV. */
function candleOf(trades: Row[]): Record<string, number> {
  const prices = trades.map((t) => Number(t.price))
  const volume = trades.reduce((sum, t) => sum + Number(t.quantity), 0)
  return {
    open: prices[0]!,
    high: Math.max(...prices),
    low: Math.min(...prices),
    close: prices.at(-1)!,
    volume,
    count: trades.length,
  }
}

describe('pipelines/btc-trades.yaml end to end (real Kafka, Binance and Coinbase look-alikes)', function () {
  this.timeout(180_000)
  let cwd: string
  let binance: FakeBinance
  let coinbase: FakeCoinbase
  let harness: KillHarness

  before(buildCli)
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-btc-trades-'))
    binance = await startFakeBinance({clock: 'wall'})
    coinbase = await startFakeCoinbase({products: ['BTC-USD'], clock: 'wall'})
    harness = new KillHarness(cwd, {
      BINANCE_WS_URL: binance.wsUrl,
      BINANCE_REST_URL: binance.restUrl,
      COINBASE_WS_URL: coinbase.wsUrl,
      COINBASE_REST_URL: coinbase.restUrl,
    })
  })
  afterEach(async () => {
    await harness.stopAll()
    await binance.close()
    await coinbase.close()
    await rm(cwd, {recursive: true, force: true})
  })

  it('both exchanges: every trade once in order, 1-second candles that match the trades, a chart', async () => {
    const etl = harness.start(['run', PIPELINE])
    await coinbase.subscribed()
    await waitFor('the Binance stream', 60_000, () => /Binance stream: connected/.test(etl.output.stderr), [etl])
    const coinbaseFeed = async () => {
      for (let i = 0; i < 60; i++) {
        coinbase.trade('BTC-USD', 5)
        await sleep(20)
      }
    }
    await Promise.all([binance.serve('BTCUSDT', 600, {perSecond: 400}), coinbaseFeed()])

    const tradesCsv = join(cwd, 'data', 'btc_trades.csv')
    const made = {binance: binance.history('BTCUSDT').map((t) => t.id), coinbase: coinbase.trades.get('BTC-USD')!}
    const total = made.binance.length + made.coinbase.length
    await waitFor('every trade in the CSV', 60_000, () => rowsOf(tradesCsv).length >= total, [etl])
    const chart = join(cwd, 'charts', 'btc-trades-price.png')
    await waitFor('the price chart', 30_000, () => existsSync(chart), [etl])
    await sleep(1000) // anything extra would show now
    const logs = await stopCleanly(etl)

    const trades = rowsOf(tradesCsv)
    const of = (exchange: string) => trades.filter((t) => t.exchange === exchange)
    expect(
      of('binance').map((t) => Number(t.trade_id)),
      logs,
    ).to.deep.equal(made.binance)
    expect(
      of('coinbase').map((t) => Number(t.trade_id)),
      logs,
    ).to.deep.equal(made.coinbase.map((t) => t.trade_id))
    expect(new Set(of('binance').map((t) => t.quote))).to.deep.equal(new Set(['USDT']))
    expect(new Set(of('coinbase').map((t) => t.quote))).to.deep.equal(new Set(['USD']))
    const served = binance.history('BTCUSDT')[0]!
    expect(Number(of('binance')[0]!.price)).to.equal(Number(served.price))
    expect(Number(of('coinbase')[0]!.price)).to.equal(Number(made.coinbase[0]!.price))

    // Every 1-second candle written is exactly its exchange's trades in that second.
    const candles = rowsOf(join(cwd, 'data', 'btc_candles_1s.csv'))
    // Binance's 1.5 s of trades (wall clock) close at least one second; Coinbase's 1.2 s at least one.
    const closed = (exchange: string) => candles.filter((c) => c.exchange === exchange).length
    expect(closed('binance'), 'closed Binance candles').to.be.at.least(1)
    expect(closed('coinbase'), 'closed Coinbase candles').to.be.at.least(1)
    for (const candle of candles) {
      const [start, end] = [Date.parse(candle.window_start!), Date.parse(candle.window_end!)]
      expect(end - start).to.equal(1000)
      const inside = of(candle.exchange!).filter(
        (t) => Date.parse(t.timestamp!) >= start && Date.parse(t.timestamp!) < end,
      )
      const want = candleOf(inside)
      const got = Object.fromEntries(Object.keys(want).map((k) => [k, Number(candle[k])]))
      expect(got.volume, `${candle.exchange} ${candle.window_start} volume`).to.be.closeTo(want.volume!, 1e-9)
      expect({...got, volume: 0}, `${candle.exchange} ${candle.window_start}`).to.deep.equal({...want, volume: 0})
    }
    expect(readFileSync(chart).subarray(1, 4).toString()).to.equal('PNG')
  })
})
