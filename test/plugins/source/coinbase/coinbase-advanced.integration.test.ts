/**
 * The real coinbase source with `api: advanced` against the Advanced Trade look-alike
 * (test/support/fake-coinbase-advanced.ts), through its configurable URLs: N trades served → each emitted once, in
 * trade-id order per product, across batches that come newest first, the snapshot replayed on every subscribe, a
 * dropped connection, a stall, a lost message (its trades back-filled from the REST look-alike, by time) and bad
 * frames; a restart from the checkpoint back-fills the downtime and repeats nothing.
 */
import {expect} from 'chai'
import coinbase from '../../../../src/plugins/source/coinbase/index.js'
import type {EtlRecord} from '../../../../src/runtime/plugin-types.js'
import {collectSource, type SourceRun} from '../../../../src/testing/index.js'
import {startFakeCoinbaseAdvanced, type FakeCoinbaseAdvanced} from '../../../support/fake-coinbase-advanced.js'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const RETRY = {maxAttempts: 0, initialDelayMs: 20, maxDelayMs: 100}
const PRODUCTS = ['BTC-USD', 'ETH-USD']

function idsByProduct(records: EtlRecord[]): Record<string, number[]> {
  const out: Record<string, number[]> = {}
  for (const r of records) (out[r.product as string] ??= []).push(r.trade_id as number)
  return out
}

const madeIds = (fake: FakeCoinbaseAdvanced) =>
  Object.fromEntries(PRODUCTS.map((p) => [p, fake.trades.get(p)!.map((t) => Number(t.trade_id))]))

describe('coinbase source (api: advanced) against the Advanced Trade look-alike', function () {
  this.timeout(60_000)
  let fake: FakeCoinbaseAdvanced

  afterEach(() => fake?.close())

  async function run(
    until: (records: EtlRecord[]) => boolean,
    script: () => Promise<void>,
    restore?: unknown,
  ): Promise<SourceRun> {
    const config = {
      api: 'advanced',
      products: PRODUCTS,
      url: fake.wsUrl,
      restUrl: fake.restUrl,
      flushInterval: '20ms',
      stallTimeout: '1s',
    }
    const running = collectSource(coinbase, config, {
      retry: RETRY,
      clock: undefined,
      until: ({records}) => until(records),
      timeoutMs: 30_000,
      restore,
    })
    await script()
    const result = await running
    expect(result.ended, 'collection ended by its condition').to.equal('condition')
    return result
  }

  const total = () => PRODUCTS.reduce((sum, p) => sum + fake.trades.get(p)!.length, 0)

  it('subscribes one channel per message; trades once each, in id order, in the house shape', async () => {
    fake = await startFakeCoinbaseAdvanced()
    const result = await run(
      (records) => records.length >= 400,
      async () => {
        await fake.subscribed()
        for (let i = 0; i < 20; i++) {
          for (const product of PRODUCTS) fake.trade(product, 10)
          await pause(5)
        }
      },
    )
    expect(fake.subscribes).to.deep.equal([
      {type: 'subscribe', product_ids: PRODUCTS, channel: 'market_trades'},
      {type: 'subscribe', channel: 'heartbeats'},
    ])
    expect(idsByProduct(result.records)).to.deep.equal(madeIds(fake))
    const served = fake.trades.get('BTC-USD')![0]!
    expect(result.records.find((r) => r.product === 'BTC-USD')).to.deep.equal({
      symbol: 'BTC',
      price_usd: Number(served.price),
      timestamp: new Date(Date.parse(served.time)).toISOString(),
      trade_id: Number(served.trade_id),
      quantity: Number(served.size),
      side: served.side === 'SELL' ? 'buy' : 'sell', // the maker's side: the taker did the opposite
      exchange: 'coinbase',
      product: 'BTC-USD',
      quote: 'USD',
    })
    expect(result.checkpoint).to.deep.equal({v: 1, last: {'BTC-USD': 5199, 'ETH-USD': 5199}})
  })

  it('a drop, a stall, a lost message, bad frames: every trade once, in order; the lost ones from REST', async () => {
    fake = await startFakeCoinbaseAdvanced()
    const result = await run(
      (records) => records.length >= total() && total() >= 600,
      async () => {
        await fake.subscribed()
        for (const product of PRODUCTS) fake.trade(product, 100)
        fake.drop() // the reconnect's snapshot replays the last 20 trades
        await fake.subscribed(2)
        for (const product of PRODUCTS) fake.trade(product, 50)
        // A lost message: its ten trades come from REST once the next message shows the hole.
        fake.trade('BTC-USD', 10, {drop: [5150, 5151, 5152, 5153, 5154, 5155, 5156, 5157, 5158, 5159]})
        fake.trade('BTC-USD', 40)
        fake.sendRaw('{"channel":"market_trades","events":[{"type":"update","trades":[{"trade_id":12')
        fake.sendRaw(JSON.stringify({channel: 'level3', events: []}))
        fake.sendRaw(JSON.stringify({channel: 'market_trades', events: 'none'}))
        fake.stall()
        await fake.subscribed(3)
        for (const product of PRODUCTS) fake.trade(product, 100)
        fake.trade('ETH-USD', 50)
      },
    )
    expect(idsByProduct(result.records)).to.deep.equal(madeIds(fake))
    const count = (event: string) => result.counts.get(event) ?? 0
    expect(count('duplicate_skipped'), 'snapshot replays').to.be.at.least(20)
    expect(count('backfilled'), 'the lost message').to.equal(10)
    expect(count('messages_missed'), 'the lost message, by its sequence_num').to.equal(1)
    expect(count('unknown_message_type')).to.equal(1)
    expect(count('ws_malformed'), 'the cut JSON').to.equal(1)
    expect(count('malformed_message'), 'events that are not a list').to.equal(1)
    const restPaths = fake.restRequests.map((r) => r.path)
    expect(restPaths).to.include('/api/v3/brokerage/market/products/BTC-USD/ticker')
  })

  it('restarts from its checkpoint: the trades made while it was down come from REST, none twice', async () => {
    fake = await startFakeCoinbaseAdvanced({snapshotSize: 5})
    const first = await run(
      (records) => records.length >= 100,
      async () => {
        await fake.subscribed()
        for (const product of PRODUCTS) fake.trade(product, 50)
      },
    )
    for (const product of PRODUCTS) fake.trade(product, 30) // while stopped; the snapshot holds only the last 5
    const second = await run(
      (records) => records.length >= 80,
      async () => {
        await fake.subscribed(2)
        for (const product of PRODUCTS) fake.trade(product, 10)
      },
      first.checkpoint,
    )
    const all = [...first.records, ...second.records]
    expect(idsByProduct(all)).to.deep.equal(madeIds(fake))
  })
})
