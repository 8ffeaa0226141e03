/**
 * End to end: the built `etl run` on a pipeline coinbase → Kafka (the real test broker) → csv, against the look-alikes
 * of Coinbase Exchange (test/support/fake-coinbase.ts) and, with `api: advanced`, Advanced Trade
 * (test/support/fake-coinbase-advanced.ts). (1) Exchange: trades served through a dropped connection, a silent stall
 * (no heartbeats either), trades the feed never sent (back-filled from the REST look-alike), replayed old trades and
 * malformed frames. Advanced: a dropped connection (the resubscribe's snapshot replays trades), a stall, a lost
 * message (its trades back-filled by time) and malformed frames. Either way the CSV holds every trade once, in id
 * order per product. (2) For both: kill -9 of etl at seeded random moments while trades keep coming, then a restart
 * each time: again every trade once, in order (what happened while etl was down comes from REST).
 * ETL_KILL_SEED=<seed> replays the same kill delays.
 */
import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {
  expectEveryTradeOnce as expectEachOnce,
  killRoundsWhileFeeding,
  stopCleanly,
  tradeCount,
  tradeIdsByKey,
} from '../support/exchange-trades-csv.js'
import {startFakeCoinbaseAdvanced} from '../support/fake-coinbase-advanced.js'
import {startFakeCoinbase} from '../support/fake-coinbase.js'
import {uniqueName} from '../support/kafka-test-utils.js'
import {KillHarness, sleep, waitFor} from '../support/kill-restart.js'
import {buildCli, type RunningEtl} from '../support/run-cli.js'
import {seededRandom} from '../support/seeded-random.js'

const PRODUCTS = ['BTC-USD', 'ETH-USD']
const COLUMNS = ['product', 'trade_id', 'symbol', 'price_usd', 'quantity', 'side', 'timestamp', 'exchange']
const CONNECTED = /Coinbase feed: connected/g

/** What both look-alikes offer the tests: faults, trades made, and each product's trade ids made so far. */
interface Lookalike {
  wsUrl: string
  restUrl: string
  connections: number
  trade(product: string, count: number, options?: {drop?: number[]}): unknown
  replay?(product: string, ids: number[]): void
  sendRaw(text: string): void
  stall(): void
  drop(): void
  subscribed(nth?: number): Promise<void>
  close(): Promise<void>
  ids(product: string): number[]
}

type Api = 'exchange' | 'advanced'

async function startLookalike(api: Api): Promise<Lookalike> {
  if (api === 'exchange') {
    const fake = await startFakeCoinbase({products: PRODUCTS})
    return Object.assign(fake, {ids: (p: string) => (fake.trades.get(p) ?? []).map((t) => t.trade_id)})
  }
  const fake = await startFakeCoinbaseAdvanced({products: PRODUCTS})
  return Object.assign(fake, {ids: (p: string) => (fake.trades.get(p) ?? []).map((t) => Number(t.trade_id))})
}

function writePipeline(dir: string, fake: Lookalike, name: string, api: Api): {file: string; out: string} {
  const out = join(dir, `${name}.csv`)
  const file = join(dir, `${name}.yaml`)
  const lines = [
    `name: ${name}`,
    'kafka:',
    `  topic: ${uniqueName('etl-e2e-coinbase')}`,
    `  groupId: ${uniqueName('etl-e2e-coinbase-group')}`,
    '  partitions: 3',
    'source:',
    '  type: coinbase',
    `  api: ${api}`,
    `  products: [${PRODUCTS.join(', ')}]`,
    `  url: ${fake.wsUrl}`,
    `  restUrl: ${fake.restUrl}`,
    '  stallTimeout: 1s',
    '  flushInterval: 20ms',
    '  retry: {initialDelay: 50ms, maxDelay: 500ms}',
    'sinks:',
    '  - type: csv',
    `    path: ${out}`,
    `    columns: [${COLUMNS.join(', ')}]`,
    '    fsync: true',
  ]
  writeFileSync(file, lines.join('\n'))
  return {file, out}
}

/** The CSV's trade ids per product, in file order; every row must be a whole Coinbase trade. */
function csvIds(out: string): Map<string, number[]> {
  return tradeIdsByKey(out, COLUMNS, PRODUCTS, ([product, , symbol, price, , , , exchange]) =>
    expect({symbol, exchange, price: Number(price) > 0}).to.deep.equal({
      symbol: product.split('-')[0],
      exchange: 'coinbase',
      price: true,
    }),
  )
}

const rowCount = (out: string) => tradeCount(csvIds(out))
const madeCount = (fake: Lookalike) => PRODUCTS.reduce((sum, p) => sum + fake.ids(p).length, 0)

/** Every trade the look-alike made is in the CSV exactly once, in id order per product. */
function expectEveryTradeOnce(fake: Lookalike, out: string, context: string): void {
  expectEachOnce(new Map(PRODUCTS.map((product) => [product, fake.ids(product)])), csvIds(out), context)
}

/** `count` trades of each product, `perTick` at a time, 20 ms apart (a feed at a steady rate). */
async function trade(fake: Lookalike, count: number, perTick = 10): Promise<void> {
  for (let made = 0; made < count; made += perTick) {
    for (const product of PRODUCTS) fake.trade(product, Math.min(perTick, count - made))
    await sleep(20)
  }
}

/**
 * The end of a fault run: once the CSV holds as many trades as were made, etl stops cleanly; every trade is in it
 * once, in order; there were three connections; the source logged `ignored` and counted each of `counts`.
 */
async function expectFaultRunDone(
  etl: RunningEtl,
  fake: Lookalike,
  out: string,
  ignored: RegExp,
  counts: string[],
): Promise<void> {
  await waitFor('every trade in the CSV', 60_000, () => rowCount(out) >= madeCount(fake), [etl])
  await sleep(1000) // anything extra would show now
  const logs = await stopCleanly(etl)
  expectEveryTradeOnce(fake, out, logs)
  expect(fake.connections).to.equal(3)
  expect(logs).to.match(ignored)
  const summary = logs.slice(logs.lastIndexOf('summary:'))
  for (const count of counts) expect(summary, count).to.match(new RegExp(`source coinbase ${count}\\s+[1-9]`))
}

for (const api of ['exchange', 'advanced'] as const) {
  describe(`coinbase source, api: ${api}, end to end (real Kafka, the ${api} look-alike)`, function () {
    this.timeout(180_000)
    let cwd: string
    let fake: Lookalike
    let harness: KillHarness

    before(buildCli)
    beforeEach(async () => {
      cwd = await mkdtemp(join(tmpdir(), `etl-e2e-coinbase-${api}-`))
      fake = await startLookalike(api)
      harness = new KillHarness(cwd)
    })
    afterEach(async () => {
      await harness.stopAll()
      await fake.close()
      await rm(cwd, {recursive: true, force: true})
    })

    if (api === 'exchange')
      it('drop, stall, unsent trades, replays and bad frames: every trade in the CSV once, in order', async () => {
        const {file, out} = writePipeline(cwd, fake, 'cb-faults', api)
        const etl = harness.start(['run', file])
        await fake.subscribed()
        await trade(fake, 200)
        fake.drop()
        await trade(fake, 50) // while disconnected: back-filled after the reconnect
        await fake.subscribed(2)
        await trade(fake, 100)
        fake.trade('BTC-USD', 30, {drop: [1360, 1361, 1362]}) // a gap in the feed, found by the next trade id
        fake.stall()
        await trade(fake, 50)
        await fake.subscribed(3)
        fake.replay!('BTC-USD', [1100, 1101, 1102])
        fake.sendRaw('{"type":"match", "trade_id": 12')
        fake.sendRaw(JSON.stringify({type: 'surprise'}))
        await trade(fake, 100)
        await expectFaultRunDone(etl, fake, out, /ignored a message of unknown type/, [
          'backfilled',
          'duplicate_skipped',
          'ws_stall',
          'ws_malformed',
          'unknown_message_type',
        ])
      })

    if (api === 'advanced')
      it('drop, stall, a lost message and bad frames: every trade in the CSV once, in order', async () => {
        const {file, out} = writePipeline(cwd, fake, 'cba-faults', api)
        const etl = harness.start(['run', file])
        await fake.subscribed()
        await trade(fake, 200)
        fake.drop() // the resubscribe's snapshot sends the last 20 trades again: repeats, skipped
        await fake.subscribed(2)
        await trade(fake, 150)
        // A lost message (ids 5350…5359, 350 trades per product so far): found by the next trade id, back-filled.
        fake.trade('BTC-USD', 10, {drop: Array.from({length: 10}, (_, i) => 5350 + i)})
        await trade(fake, 20)
        fake.stall()
        await trade(fake, 50) // while stalled: the snapshot after the reconnect holds the last 20, the rest from REST
        await fake.subscribed(3)
        fake.sendRaw('{"channel":"market_trades","events":[{"trades":[{"trade_id":"12')
        fake.sendRaw(JSON.stringify({channel: 'surprise', events: []}))
        await trade(fake, 100)
        await expectFaultRunDone(etl, fake, out, /ignored a message of unknown channel/, [
          'backfilled',
          'duplicate_skipped',
          'ws_stall',
          'ws_malformed',
          'messages_missed',
        ])
      })

    it('kill -9 at random moments and restart: every trade in the CSV once, in order per product', async () => {
      const seed = Number(process.env.ETL_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31))
      console.log(`      seed ${seed}`)
      const random = seededRandom(seed)
      const {file, out} = writePipeline(cwd, fake, `cb-kill-${api}`, api)
      // Trades keep coming through every kill and restart; what is made while etl is down comes from REST.
      const logs = await killRoundsWhileFeeding(harness, ['run', file], {
        connected: CONNECTED,
        feedOnce: () => trade(fake, 2, 2),
        random,
        rows: () => rowCount(out),
        made: () => madeCount(fake),
      })
      expectEveryTradeOnce(fake, out, logs)
      expect(logs).to.match(/resuming after the last trades emitted/)
    })
  })
}
