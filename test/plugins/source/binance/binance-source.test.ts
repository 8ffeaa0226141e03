/**
 * The real binance source against the Binance look-alike (test/support/fake-binance.ts), over real WebSocket and HTTP
 * on localhost: N trades arrive once each, in order; a dropped connection, a silent stall, withheld trades (a gap REST
 * fills), ids that never existed (a gap REST confirms, counted), old trades replayed after a reconnect (deduplicated),
 * a server-shutdown notice, a stop and restart from the checkpoint, malformed and unknown frames — each with no trade
 * lost and none twice; an unknown pair fails the start with ETL_SOURCE_PERMANENT.
 */
import {expect} from 'chai'
import binance from '../../../../src/plugins/source/binance/index.js'
import type {BinanceCheckpoint} from '../../../../src/plugins/source/binance/progress.js'
import type {EtlRecord, SourceInstance} from '../../../../src/runtime/plugin-types.js'
import {startFakeBinance, type FakeBinance} from '../../../support/fake-binance.js'
import {configFor, testContext, type TestContext} from '../../../support/plugin-context.js'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await pause(10)
  }
}

interface Running {
  test: TestContext
  records: EtlRecord[]
  checkpoint: () => BinanceCheckpoint | undefined
  done: Promise<void>
  stop(): Promise<void>
}

describe('binance source against the Binance look-alike', function () {
  this.timeout(60_000)
  let fake: FakeBinance
  const running: Running[] = []

  beforeEach(async () => {
    fake = await startFakeBinance({pingIntervalMs: 200})
  })
  afterEach(async () => {
    for (const run of running.splice(0)) await run.stop()
    await fake.close()
  })

  async function start(config: Record<string, unknown> = {}, restore?: unknown): Promise<Running> {
    const test = testContext()
    const full = {
      symbols: ['BTCUSDT'],
      baseUrl: fake.wsUrl,
      restUrl: fake.restUrl,
      stallTimeout: '500ms',
      ...config,
    }
    const source = (await binance.create(configFor(binance, full), test.context)) as SourceInstance
    if (restore !== undefined) await source.restore?.(restore)
    const records: EtlRecord[] = []
    let last: BinanceCheckpoint | undefined
    const controller = new AbortController()
    const done = source.run(async (batch, checkpoint) => {
      records.push(...batch)
      last = checkpoint as BinanceCheckpoint
    }, controller.signal)
    const run: Running = {
      test,
      records,
      checkpoint: () => last,
      done,
      stop: async () => {
        controller.abort()
        await done.catch(() => undefined)
      },
    }
    running.push(run)
    const connections = fake.connections
    await until('the source to connect', () => fake.connections > connections || done === undefined)
    await pause(50)
    return run
  }

  /** Trade ids of the emitted records, per pair. */
  const ids = (records: EtlRecord[], pair = 'BTCUSDT') =>
    records.filter((r) => r.pair === pair).map((r) => r.trade_id as number)
  const madeIds = (pair = 'BTCUSDT') => fake.history(pair).map((t) => t.id)

  it('emits N trades once each, in order, in the house shape, with the last id as checkpoint', async () => {
    const run = await start({symbols: ['BTCUSDT', 'ETHBTC']})
    await Promise.all([fake.serve('BTCUSDT', 300), fake.serve('ETHBTC', 200)])
    await until('every trade', () => run.records.length >= 500)
    expect(ids(run.records)).to.deep.equal(madeIds())
    expect(ids(run.records, 'ETHBTC')).to.deep.equal(madeIds('ETHBTC'))
    const first = fake.history('BTCUSDT')[0]
    expect(run.records.find((r) => r.trade_id === first.id)).to.deep.equal({
      symbol: 'BTC',
      price_usdt: Number(first.price),
      timestamp: new Date(first.time).toISOString(),
      quantity: Number(first.qty),
      trade_id: first.id,
      side: first.isBuyerMaker ? 'sell' : 'buy',
      pair: 'BTCUSDT',
      quote: 'USDT',
      exchange: 'binance',
    })
    expect(run.records.find((r) => r.pair === 'ETHBTC')).to.include({symbol: 'ETH', quote: 'BTC'})
    expect(run.checkpoint()).to.deep.equal({
      stream: 'trade',
      last: {BTCUSDT: madeIds().at(-1), ETHBTC: madeIds('ETHBTC').at(-1)},
    })
  })

  it('a connection dropped mid-stream: reconnects and back-fills what was missed, none twice', async () => {
    const run = await start()
    await fake.serve('BTCUSDT', 400, {at: {150: () => fake.drop(), 160: () => fake.drop()}})
    await until('every trade', () => run.records.length >= 400)
    await pause(100)
    expect(ids(run.records)).to.deep.equal(madeIds())
    expect(run.test.counts.get('ws_reconnect')).to.be.at.least(1)
    expect(run.test.counts.get('backfilled')).to.be.at.least(1)
  })

  it('a stall without a close frame: detected, reconnected, back-filled', async () => {
    const run = await start()
    await fake.serve('BTCUSDT', 300, {perSecond: 300, at: {100: () => fake.stall()}})
    await until('every trade', () => run.records.length >= 300, 15_000)
    expect(ids(run.records)).to.deep.equal(madeIds())
    expect(run.test.counts.get('ws_stall')).to.equal(1)
  })

  it('a gap in trade ids on the stream is back-filled from REST before the next trade', async () => {
    const run = await start()
    await fake.serve('BTCUSDT', 200, {at: {50: () => fake.withhold(30)}})
    await until('every trade', () => run.records.length >= 200)
    expect(ids(run.records)).to.deep.equal(madeIds())
    expect(run.test.counts.get('backfilled')).to.equal(30)
    expect(run.test.counts.get('trade_gap') ?? 0).to.equal(0)
    expect(fake.requests.filter((r) => r.path === '/api/v3/historicalTrades')[0].query).to.include({
      symbol: 'BTCUSDT',
      fromId: String(1050),
    })
  })

  it('ids that REST does not have either are counted as a gap with its size, and the stream goes on', async () => {
    const run = await start()
    await fake.serve('BTCUSDT', 100, {at: {40: () => fake.skipIds('BTCUSDT', 7)}})
    await until('every trade', () => run.records.length >= 100)
    expect(ids(run.records)).to.deep.equal(madeIds())
    expect(run.test.counts.get('trade_gap')).to.equal(1)
    expect(run.test.counts.get('trade_gap_trades')).to.equal(7)
    expect(run.test.logs.join('\n')).to.match(/BTCUSDT: 7 trade id\(s\) missing \(1040…1046\)/)
  })

  it('old trades replayed after a reconnect are skipped as duplicates', async () => {
    const run = await start()
    await fake.serve('BTCUSDT', 200, {at: {100: () => (fake.replayOnConnect(40), fake.drop())}})
    await until('every trade', () => run.records.length >= 200)
    await pause(100)
    expect(ids(run.records)).to.deep.equal(madeIds())
    expect(run.test.counts.get('duplicate_skipped')).to.be.at.least(40)
  })

  it('a serverShutdown notice: reconnects at once, nothing lost', async () => {
    const run = await start()
    await fake.serve('BTCUSDT', 200, {at: {80: () => fake.shutdownNotice()}})
    await until('every trade', () => run.records.length >= 200)
    expect(ids(run.records)).to.deep.equal(madeIds())
    expect(run.test.counts.get('ws_server_shutdown')).to.equal(1)
    expect(run.test.logs.join('\n')).to.match(
      /connection 1 ended \(requested: serverShutdown notice\); reconnecting now/,
    )
  })

  it('stopped and restarted from its checkpoint: the trades made meanwhile come from REST, none twice', async () => {
    const first = await start()
    await fake.serve('BTCUSDT', 150)
    await until('the first run to have them', () => first.records.length >= 150)
    await first.stop()
    await fake.serve('BTCUSDT', 120) // nobody listening
    const second = await start({}, first.checkpoint())
    await fake.serve('BTCUSDT', 80)
    await until('every trade', () => first.records.length + second.records.length >= 350)
    await pause(100)
    expect([...ids(first.records), ...ids(second.records)]).to.deep.equal(madeIds())
    expect(second.test.counts.get('backfilled')).to.equal(120)
  })

  it('malformed frames and unknown messages are counted and logged, never a crash', async () => {
    const run = await start()
    await fake.serve('BTCUSDT', 20)
    fake.sendRaw('{"stream":"btcusdt@trade","data":')
    fake.sendRaw('{"stream":"btcusdt@depth","data":{"e":"depthUpdate","s":"BTCUSDT"}}')
    fake.sendRaw('{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","t":"x","p":"1","q":"1","T":1,"m":true}}')
    fake.sendRaw('[1,2,3]')
    fake.sendRaw('{"result":null,"id":7}')
    await fake.serve('BTCUSDT', 20)
    await until('every trade', () => run.records.length >= 40)
    expect(ids(run.records)).to.deep.equal(madeIds())
    expect(Object.fromEntries(run.test.counts)).to.include({
      ws_malformed: 1,
      ws_unknown_message: 2,
      ws_invalid_message: 1,
    })
    expect(run.test.logs.join('\n')).to.match(/trade id "x" is not a non-negative integer/)
  })

  it('the aggTrade stream: agg ids, gaps back-filled from /api/v3/aggTrades', async () => {
    const run = await start({stream: 'aggTrade'})
    await fake.serve('BTCUSDT', 150, {at: {60: () => fake.withhold(20)}})
    await until('every trade', () => run.records.length >= 150)
    expect(ids(run.records)).to.deep.equal(madeIds())
    expect(run.records[0]).to.include({first_trade_id: 2000, last_trade_id: 2001})
    expect(fake.requests.some((r) => r.path === '/api/v3/aggTrades')).to.equal(true)
  })

  it('a pair Binance does not list fails the start with ETL_SOURCE_PERMANENT, naming it', async () => {
    const test = testContext()
    const config = configFor(binance, {symbols: ['NOPEUSDT'], baseUrl: fake.wsUrl, restUrl: fake.restUrl})
    const source = (await binance.create(config, test.context)) as SourceInstance
    let error: unknown
    await source.run(async () => undefined, new AbortController().signal).catch((e: unknown) => (error = e))
    expect(error).to.include({code: 'ETL_SOURCE_PERMANENT'})
    expect((error as Error).message).to.match(/rejected the pair "NOPEUSDT"/)
    expect(fake.connections).to.equal(0)
  })
})
