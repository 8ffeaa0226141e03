/**
 * End to end: the built `etl run` on a pipeline coinbase (`api: advanced`) → Kafka (the real test broker) → csv,
 * against the Coinbase Advanced Trade look-alike (test/support/fake-coinbase-advanced.ts). (1) Trades served through
 * a dropped connection (the resubscribe's snapshot replays trades), a silent stall, a lost message (its trades
 * back-filled from the REST look-alike by time) and malformed frames: the CSV holds every trade once, in id order per
 * product. (2) kill -9 of etl at seeded random moments while trades keep coming, then a restart each time: again
 * every trade once, in order. ETL_KILL_SEED=<seed> replays the same kill delays.
 */
import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {
  expectEveryTradeOnce as expectEachOnce,
  stopCleanly,
  tradeCount,
  tradeIdsByKey,
} from '../support/exchange-trades-csv.js'
import {startFakeCoinbaseAdvanced, type FakeCoinbaseAdvanced} from '../support/fake-coinbase-advanced.js'
import {uniqueName} from '../support/kafka-test-utils.js'
import {KillHarness, sleep, waitFor} from '../support/kill-restart.js'
import {buildCli} from '../support/run-cli.js'
import {seededRandom} from '../support/seeded-random.js'

const PRODUCTS = ['BTC-USD', 'ETH-USD']
const COLUMNS = ['product', 'trade_id', 'symbol', 'price_usd', 'quantity', 'side', 'timestamp', 'exchange']
const CONNECTED = /Coinbase feed: connected/g
const ASSIGNED = /assigned partition\(s\) \d/

function writePipeline(dir: string, fake: FakeCoinbaseAdvanced, name: string): {file: string; out: string} {
  const out = join(dir, `${name}.csv`)
  const file = join(dir, `${name}.yaml`)
  const lines = [
    `name: ${name}`,
    'kafka:',
    `  topic: ${uniqueName('etl-e2e-cb-advanced')}`,
    `  groupId: ${uniqueName('etl-e2e-cb-advanced-group')}`,
    '  partitions: 3',
    'source:',
    '  type: coinbase',
    '  api: advanced',
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
const madeCount = (fake: FakeCoinbaseAdvanced) =>
  PRODUCTS.reduce((sum, p) => sum + (fake.trades.get(p)?.length ?? 0), 0)

/** Every trade the look-alike made is in the CSV exactly once, in id order per product. */
function expectEveryTradeOnce(fake: FakeCoinbaseAdvanced, out: string, context: string): void {
  const made = new Map(
    PRODUCTS.map((product) => [product, (fake.trades.get(product) ?? []).map((t) => Number(t.trade_id))]),
  )
  expectEachOnce(made, csvIds(out), context)
}

/** `count` trades of each product, `perTick` at a time, 20 ms apart (a feed at a steady rate). */
async function trade(fake: FakeCoinbaseAdvanced, count: number, perTick = 10): Promise<void> {
  for (let made = 0; made < count; made += perTick) {
    for (const product of PRODUCTS) fake.trade(product, Math.min(perTick, count - made))
    await sleep(20)
  }
}

describe('coinbase source, api: advanced, end to end (real Kafka, Advanced Trade look-alike)', function () {
  this.timeout(180_000)
  let cwd: string
  let fake: FakeCoinbaseAdvanced
  let harness: KillHarness

  before(buildCli)
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-cb-advanced-'))
    fake = await startFakeCoinbaseAdvanced({products: PRODUCTS})
    harness = new KillHarness(cwd)
  })
  afterEach(async () => {
    await harness.stopAll()
    await fake.close()
    await rm(cwd, {recursive: true, force: true})
  })

  it('drop, stall, a lost message and bad frames: every trade in the CSV once, in order', async () => {
    const {file, out} = writePipeline(cwd, fake, 'cba-faults')
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
    await waitFor('every trade in the CSV', 60_000, () => rowCount(out) >= madeCount(fake), [etl])
    await sleep(1000) // anything extra would show now
    const logs = await stopCleanly(etl)
    expectEveryTradeOnce(fake, out, logs)
    expect(fake.connections).to.equal(3)
    expect(logs).to.match(/ignored a message of unknown channel/)
    const summary = logs.slice(logs.lastIndexOf('summary:'))
    for (const count of ['backfilled', 'duplicate_skipped', 'ws_stall', 'ws_malformed', 'messages_missed'])
      expect(summary, count).to.match(new RegExp(`source coinbase ${count}\\s+[1-9]`))
  })

  it('kill -9 at random moments and restart: every trade in the CSV once, in order per product', async () => {
    const seed = Number(process.env.ETL_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31))
    console.log(`      seed ${seed}`)
    const random = seededRandom(seed)
    const {file, out} = writePipeline(cwd, fake, 'cb-kill')
    // Trades keep coming through every kill and restart; what is made while etl is down comes from REST.
    let serving = true
    let feeder: Promise<void> | undefined
    const feed = async () => {
      while (serving) await trade(fake, 2, 2)
    }
    for (let round = 1; round <= 3; round++) {
      const etl = harness.start(['run', file])
      await waitFor(`round ${round} to connect`, 60_000, () => CONNECTED.test(etl.output.stderr), [etl])
      CONNECTED.lastIndex = 0
      feeder ??= feed()
      await waitFor(`round ${round} to be assigned`, 60_000, () => ASSIGNED.test(etl.output.stderr), [etl])
      const delay = 200 + Math.floor(random() * 2500)
      await sleep(delay)
      etl.child.kill('SIGKILL')
      expect((await etl.exited).signal).to.equal('SIGKILL')
      console.log(`      round ${round}: killed ${delay} ms after assignment; ${rowCount(out)} rows so far`)
    }
    const last = harness.start(['run', file])
    await waitFor('the last run to connect', 60_000, () => CONNECTED.test(last.output.stderr), [last])
    await sleep(2000)
    serving = false
    await feeder
    await waitFor('every trade in the CSV', 60_000, () => rowCount(out) >= madeCount(fake), [last])
    await sleep(1000)
    const logs = await stopCleanly(last)
    expectEveryTradeOnce(fake, out, logs)
    expect(logs).to.match(/resuming after the last trades emitted/)
  })
})
