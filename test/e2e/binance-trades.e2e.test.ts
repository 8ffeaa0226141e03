/**
 * End to end: the built `etl run` on a pipeline binance → Kafka (the real test broker) → csv, against the Binance
 * look-alike (test/support/fake-binance.ts). (1) N trades served through a dropped connection, a silent stall, a gap
 * of withheld trades (back-filled from the REST look-alike) and a reconnect that replays old trades: the CSV holds
 * every trade once, in id order per pair. (2) kill -9 of etl at seeded random moments while trades keep coming, then
 * a restart each time: again every trade once, in order. ETL_KILL_SEED=<seed> replays the same kill delays.
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
import {startFakeBinance, type FakeBinance} from '../support/fake-binance.js'
import {uniqueName} from '../support/kafka-test-utils.js'
import {KillHarness, sleep, waitFor} from '../support/kill-restart.js'
import {buildCli} from '../support/run-cli.js'
import {seededRandom} from '../support/seeded-random.js'

const PAIRS = ['BTCUSDT', 'ETHUSDT']
const COLUMNS = ['pair', 'trade_id', 'symbol', 'price_usdt', 'quantity', 'side', 'timestamp']
const CONNECTED = /Binance stream: connected/g

function writePipeline(dir: string, fake: FakeBinance, name: string): {file: string; out: string} {
  const out = join(dir, `${name}.csv`)
  const file = join(dir, `${name}.yaml`)
  const lines = [
    `name: ${name}`,
    'kafka:',
    `  topic: ${uniqueName('etl-e2e-binance')}`,
    `  groupId: ${uniqueName('etl-e2e-binance-group')}`,
    '  partitions: 3',
    'source:',
    '  type: binance',
    `  symbols: [${PAIRS.join(', ')}]`,
    `  baseUrl: ${fake.wsUrl}`,
    `  restUrl: ${fake.restUrl}`,
    '  stallTimeout: 1s',
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

const csvIds = (out: string) => tradeIdsByKey(out, COLUMNS, PAIRS)
const rowCount = (out: string) => tradeCount(csvIds(out))
const madeCount = (fake: FakeBinance) => PAIRS.reduce((sum, p) => sum + fake.history(p).length, 0)

/** Every trade the look-alike made is in the CSV exactly once, in id order per pair. */
function expectEveryTradeOnce(fake: FakeBinance, out: string, context: string): void {
  const made = new Map(PAIRS.map((pair) => [pair, fake.history(pair).map((t) => t.id)]))
  expectEachOnce(made, csvIds(out), context)
}

describe('binance source end to end (real Kafka, Binance look-alike)', function () {
  this.timeout(180_000)
  let cwd: string
  let fake: FakeBinance
  let harness: KillHarness

  before(buildCli)
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-binance-'))
    fake = await startFakeBinance({pingIntervalMs: 1000})
    harness = new KillHarness(cwd)
  })
  afterEach(async () => {
    await harness.stopAll()
    await fake.close()
    await rm(cwd, {recursive: true, force: true})
  })

  it('drop, stall, gap and replay: every trade in the CSV once, in order per pair', async () => {
    const {file, out} = writePipeline(cwd, fake, 'bn-faults')
    const etl = harness.start(['run', file])
    await waitFor('the stream to connect', 60_000, () => CONNECTED.test(etl.output.stderr), [etl])
    const faults = {
      200: () => fake.drop(),
      400: () => fake.stall(),
      700: () => fake.withhold(40),
      900: () => (fake.replayOnConnect(50), fake.drop()),
    }
    await Promise.all([fake.serve('BTCUSDT', 1200, {perSecond: 300, at: faults}), fake.serve('ETHUSDT', 600)])
    await waitFor('every trade in the CSV', 60_000, () => rowCount(out) >= madeCount(fake), [etl])
    await sleep(1000) // anything extra would show now
    const logs = await stopCleanly(etl)
    expectEveryTradeOnce(fake, out, logs)
    expect(logs).to.match(/connection \d+ ended \(stall: no data/)
    expect(logs).to.match(/back-filled \d+ trade\(s\) of BTCUSDT from REST/)
    expect(fake.connections).to.be.at.least(4)
  })

  it('kill -9 at random moments and restart: every trade in the CSV once, in order per pair', async () => {
    const seed = Number(process.env.ETL_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31))
    console.log(`      seed ${seed}`)
    const random = seededRandom(seed)
    const {file, out} = writePipeline(cwd, fake, 'bn-kill')
    // Trades keep coming through every kill and restart, from the first connection on (a first start begins live).
    const logs = await killRoundsWhileFeeding(harness, ['run', file], {
      connected: CONNECTED,
      feedOnce: async () => void (await Promise.all(PAIRS.map((pair) => fake.serve(pair, 20, {perSecond: 100})))),
      random,
      rows: () => rowCount(out),
      made: () => madeCount(fake),
    })
    expectEveryTradeOnce(fake, out, logs)
    expect(logs).to.match(/resuming .* from its last committed checkpoint/)
  })
})
