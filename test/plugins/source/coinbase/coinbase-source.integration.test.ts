/**
 * The real coinbase source against the Coinbase look-alike (test/support/fake-coinbase.ts), through its configurable
 * URLs: N trades served → each emitted once, in trade-id order per product, across a dropped connection, a stalled
 * one, trades dropped from the feed (back-filled from the REST look-alike), replayed trades, malformed frames and
 * unknown message types; a restart from the checkpoint back-fills the downtime and repeats nothing.
 */
import {expect} from 'chai'
import coinbase from '../../../../src/plugins/source/coinbase/index.js'
import type {EtlRecord} from '../../../../src/runtime/plugin-types.js'
import {collectSource, type SourceRun} from '../../../../src/testing/index.js'
import {startFakeCoinbase, type FakeCoinbase} from '../../../support/fake-coinbase.js'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const RETRY = {maxAttempts: 0, initialDelayMs: 20, maxDelayMs: 100}

/** Trade ids emitted per product, in emit order. */
function idsByProduct(records: EtlRecord[]): Record<string, number[]> {
  const out: Record<string, number[]> = {}
  for (const r of records) (out[r.product as string] ??= []).push(r.trade_id as number)
  return out
}

const range = (from: number, to: number) => Array.from({length: to - from + 1}, (_, i) => from + i)

describe('coinbase source against the Coinbase look-alike', function () {
  this.timeout(60_000)
  let fake: FakeCoinbase

  afterEach(() => fake?.close())

  /** Runs the source until `until` holds for the records; `script` drives the fake meanwhile. */
  async function run(
    config: Record<string, unknown>,
    until: (records: EtlRecord[]) => boolean,
    script: () => Promise<void>,
    restore?: unknown,
  ): Promise<SourceRun> {
    const running = collectSource(
      coinbase,
      {url: fake.wsUrl, restUrl: fake.restUrl, flushInterval: '20ms', stallTimeout: '1s', ...config},
      {retry: RETRY, clock: undefined, until: ({records}) => until(records), timeoutMs: 30_000, restore},
    )
    await script()
    const result = await running
    expect(result.ended, 'collection ended by its condition').to.equal('condition')
    return result
  }

  it('emits N trades once each, in order per product, in the house shape', async () => {
    fake = await startFakeCoinbase()
    const result = await run(
      {products: ['BTC-USD', 'ETH-USD']},
      (records) => records.length >= 400,
      async () => {
        await fake.subscribed()
        for (let i = 0; i < 20; i++) {
          fake.trade('BTC-USD', 10)
          fake.trade('ETH-USD', 10)
          await pause(5)
        }
      },
    )
    expect(idsByProduct(result.records)).to.deep.equal({'BTC-USD': range(1000, 1199), 'ETH-USD': range(1000, 1199)})
    const served = fake.trades.get('BTC-USD')![0]
    expect(result.records.find((r) => r.product === 'BTC-USD')).to.deep.equal({
      symbol: 'BTC',
      price_usd: Number(served.price),
      timestamp: served.time.replace(/(\.\d{3})\d+Z$/, '$1Z'),
      trade_id: 1000,
      quantity: Number(served.size),
      side: served.side === 'sell' ? 'buy' : 'sell', // taker side
      exchange: 'coinbase',
      product: 'BTC-USD',
      quote: 'USD',
    })
    expect(fake.subscribes[0]).to.deep.equal({
      type: 'subscribe',
      product_ids: ['BTC-USD', 'ETH-USD'],
      channels: ['matches', 'heartbeat'],
    })
    expect(result.checkpoint).to.deep.equal({v: 1, last: {'BTC-USD': 1199, 'ETH-USD': 1199}})
    expect(result.emits.length).to.be.below(200) // batched, not one Kafka transaction per trade
    expect(fake.restRequests).to.deep.equal([])
  })

  it('back-fills trades the feed dropped from REST, found by the next trade id and by heartbeats', async () => {
    fake = await startFakeCoinbase()
    const result = await run(
      {products: ['BTC-USD']},
      (records) => records.length >= 60,
      async () => {
        await fake.subscribed()
        fake.trade('BTC-USD', 20)
        await pause(50)
        fake.trade('BTC-USD', 20, {drop: [1025, 1026, 1027]}) // a later trade shows the hole
        await pause(50)
        fake.trade('BTC-USD', 20, {drop: [1057, 1058, 1059]}) // the last ones: only a heartbeat shows them
      },
    )
    expect(idsByProduct(result.records)).to.deep.equal({'BTC-USD': range(1000, 1059)})
    expect(result.counts.get('gaps_detected')).to.equal(2)
    expect(result.counts.get('backfilled')).to.equal(6)
    expect(result.counts.get('trades_missed') ?? 0).to.equal(0)
    expect(fake.restRequests[0]).to.deep.equal({
      path: '/products/BTC-USD/trades',
      query: {after: '1028', limit: '1000'},
    })
  })

  it('survives a dropped connection and a stall: resubscribes and back-fills the downtime', async () => {
    fake = await startFakeCoinbase()
    const result = await run(
      {products: ['BTC-USD']},
      (records) => records.length >= 90,
      async () => {
        await fake.subscribed()
        fake.trade('BTC-USD', 30)
        await pause(100)
        fake.drop()
        fake.trade('BTC-USD', 10) // while disconnected: back-filled after the reconnect
        await fake.subscribed(2)
        fake.trade('BTC-USD', 20)
        await pause(100)
        fake.stall() // open, silent: no trades, no heartbeats
        fake.trade('BTC-USD', 10)
        await fake.subscribed(3) // the watchdog reconnected
        fake.trade('BTC-USD', 20)
      },
    )
    expect(idsByProduct(result.records)).to.deep.equal({'BTC-USD': range(1000, 1089)})
    expect(fake.connections).to.equal(3)
    expect(fake.subscribes).to.have.length(3)
    expect(result.counts.get('ws_stall')).to.equal(1)
    // Each reconnect's last_match is the newest trade: the 9 before it come from REST, twice.
    expect(result.counts.get('backfilled')).to.equal(18)
    expect(result.counts.get('gaps_detected')).to.equal(2)
  })

  it('drops replayed trades, counts malformed frames and unknown types, and never crashes on them', async () => {
    fake = await startFakeCoinbase()
    const result = await run(
      {products: ['BTC-USD']},
      (records) => records.length >= 20,
      async () => {
        await fake.subscribed()
        fake.trade('BTC-USD', 10)
        await pause(50)
        fake.drop() // the resubscribe replays 1009 as last_match
        await fake.subscribed(2)
        fake.replay('BTC-USD', [1003, 1004, 1009])
        fake.sendRaw('{"type":"match", "trade_id": 12') // truncated JSON
        fake.sendRaw('not json at all')
        fake.sendRaw('[1,2,3]')
        fake.sendRaw(JSON.stringify({type: 'status', products: []}))
        fake.sendRaw(JSON.stringify({type: 'match', product_id: 'BTC-USD', trade_id: 5000, price: 'NaN', size: '1'}))
        fake.sendRaw(JSON.stringify({type: 'match', product_id: 'DOGE-USD', trade_id: 1, price: '1', size: '1'}))
        fake.trade('BTC-USD', 10)
      },
    )
    expect(idsByProduct(result.records)).to.deep.equal({'BTC-USD': range(1000, 1019)})
    expect(result.counts.get('duplicate_skipped')).to.equal(4)
    expect(result.counts.get('ws_malformed')).to.equal(2)
    expect(result.counts.get('malformed_message')).to.equal(1)
    expect(result.counts.get('unknown_message_type')).to.equal(1)
    expect(result.counts.get('rejected_invalid_trade')).to.equal(1)
    expect(result.counts.get('unexpected_product')).to.equal(1)
    expect(result.logs.join('\n')).to.match(/ignored a message of unknown type/)
  })

  it('restarts from its checkpoint: back-fills what happened while stopped, repeats nothing', async () => {
    fake = await startFakeCoinbase()
    const first = await run(
      {products: ['BTC-USD']},
      (records) => records.length >= 15,
      async () => {
        await fake.subscribed()
        fake.trade('BTC-USD', 15)
      },
    )
    expect(first.checkpoint).to.deep.equal({v: 1, last: {'BTC-USD': 1014}})
    fake.trade('BTC-USD', 25) // while the pipeline is down
    const second = await run(
      {products: ['BTC-USD']},
      (records) => records.length >= 35,
      async () => {
        await fake.subscribed(2)
        fake.trade('BTC-USD', 10)
      },
      first.checkpoint,
    )
    expect(idsByProduct(second.records)).to.deep.equal({'BTC-USD': range(1015, 1049)})
    expect(second.counts.get('backfilled')).to.equal(24) // 1015…1038; 1039 came as last_match
  })

  it('channel ticker: one record per ticker, each once by sequence across a reconnect and a restart', async () => {
    fake = await startFakeCoinbase()
    const sequences = (records: EtlRecord[]) => records.map((r) => r.sequence as number)
    const config = {products: ['BTC-USD'], channel: 'ticker'}
    const first = await run(
      config,
      (records) => records.length >= 30,
      async () => {
        await fake.subscribed()
        fake.trade('BTC-USD', 20)
        await pause(100)
        fake.drop() // the resubscribe starts with the newest ticker again: a repeat
        await fake.subscribed(2)
        fake.replayTickers('BTC-USD', [3, 4])
        fake.trade('BTC-USD', 10)
      },
    )
    const made = fake.tickers.get('BTC-USD')!
    expect(sequences(first.records)).to.deep.equal(made.map((t) => t.sequence))
    expect(first.counts.get('duplicate_skipped')).to.equal(3)
    expect(fake.subscribes.at(-1)).to.deep.include({channels: ['ticker', 'heartbeat']})
    const last = made.at(-1)!
    expect(first.records.at(-1)).to.deep.equal({
      symbol: 'BTC',
      price_usd: Number(last.price),
      timestamp: new Date(Date.parse(last.time)).toISOString(),
      best_bid_usd: Number(last.best_bid),
      best_ask_usd: Number(last.best_ask),
      open_24h_usd: Number(last.open_24h),
      high_24h_usd: Number(last.high_24h),
      low_24h_usd: Number(last.low_24h),
      volume_24h: Number(last.volume_24h),
      quantity: Number(last.last_size),
      trade_id: last.trade_id,
      sequence: last.sequence,
      exchange: 'coinbase',
      product: 'BTC-USD',
      quote: 'USD',
      record_type: 'ticker',
    })
    expect(first.checkpoint).to.deep.equal({v: 1, channel: 'ticker', sequence: {'BTC-USD': last.sequence}})

    // A restart: the snapshot on subscribe is the last ticker emitted, so only what comes after it goes on.
    const second = await run(
      config,
      (records) => records.length >= 5,
      async () => {
        await fake.subscribed(3)
        fake.trade('BTC-USD', 5)
      },
      first.checkpoint,
    )
    expect(sequences(second.records)).to.deep.equal(made.slice(-5).map((t) => t.sequence))
    expect(second.counts.get('duplicate_skipped')).to.equal(1)
  })

  it('channel ticker ignores a trades checkpoint (and the other way round) with a warning', async () => {
    fake = await startFakeCoinbase()
    const result = await run(
      {products: ['BTC-USD'], channel: 'ticker'},
      (records) => records.length >= 2,
      async () => {
        await fake.subscribed()
        fake.trade('BTC-USD', 2)
      },
      {v: 1, last: {'BTC-USD': 1000}},
    )
    expect(result.records).to.have.length(2)
    expect(result.logs.join('\n')).to.include(
      'ignoring the saved checkpoint: it is not a checkpoint of the coinbase ticker channel',
    )
  })

  it('caps a back-fill at maxBackfill (keeping the newest) and counts the rest as missed', async () => {
    fake = await startFakeCoinbase()
    fake.trade('BTC-USD', 2500)
    const result = await run(
      {products: ['BTC-USD'], maxBackfill: 1200},
      (records) => records.length >= 1201,
      async () => {},
      {v: 1, last: {'BTC-USD': 1000}},
    )
    expect(idsByProduct(result.records)['BTC-USD']).to.deep.equal(range(3499 - 1200, 3499))
    expect(result.counts.get('trades_missed')).to.equal(2498 - 1200)
    expect(fake.restRequests.map((r) => r.query.after)).to.deep.equal(['3499', '2499'])
  })

  it('with backfill off, counts and logs each gap with its size', async () => {
    fake = await startFakeCoinbase()
    const result = await run(
      {products: ['BTC-USD'], backfill: false},
      (records) => records.length >= 17,
      async () => {
        await fake.subscribed()
        fake.trade('BTC-USD', 20, {drop: [1005, 1006, 1007]})
      },
    )
    expect(idsByProduct(result.records)['BTC-USD']).to.deep.equal([...range(1000, 1004), ...range(1008, 1019)])
    expect(result.counts.get('trades_missed')).to.equal(3)
    expect(result.logs.join('\n')).to.match(/BTC-USD trade ids 1005…1007 missing \(3\)/)
    expect(fake.restRequests).to.deep.equal([])
  })

  it('fails with ETL_SOURCE_PERMANENT when Coinbase refuses the subscription', async () => {
    fake = await startFakeCoinbase({products: ['BTC-USD']})
    const error = await collectSource(
      coinbase,
      {url: fake.wsUrl, restUrl: fake.restUrl, products: ['BTC-USD', 'NOPE-USD']},
      {retry: RETRY, clock: undefined, timeoutMs: 10_000},
    ).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.have.property('code', 'ETL_SOURCE_PERMANENT')
    expect(String((error as Error).message)).to.match(/NOPE-USD is not a valid product/)
  })
})
