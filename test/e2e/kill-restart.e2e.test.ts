/**
 * End to end: `kill -9` of the pipeline at random moments during a replay of real data, restarted each time, then run
 * to the end: the CSV must hold exactly the rows the replay gives (computed here from the history file alone), none
 * lost, none twice. The kill delays come from a seeded generator; the seed is printed, and ETL_KILL_SEED=<seed>
 * replays the same delays. The same test for the PostgreSQL and Parquet sinks is storage-kill-restart.e2e.test.ts.
 *
 * Two variants: (1) only `etl run --stage process` is killed while one clean `etl run --stage source` run per symbol
 * fills the topic (exactly-once into the sink alone); (2) the whole pipeline (`etl run`) is killed, which also needs
 * the source stage to resume exactly where its committed records end.
 */
import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createTopic, partitionSizes, uniqueName} from '../support/kafka-test-utils.js'
import {
  expectedRows,
  expectExactly,
  KillHarness,
  REPLAY_COLUMNS,
  skippedOnRestart,
  writeReplayPipeline,
} from '../support/kill-restart.js'
import {buildCli} from '../support/run-cli.js'
import {seededRandom} from '../support/seeded-random.js'

const csvSink = (out: string) => [
  '  - type: csv',
  `    path: ${out}`,
  `    columns: [${REPLAY_COLUMNS.join(', ')}]`,
  '    fsync: true',
]

function csvRows(out: string): string[] {
  const text = readFileSync(out, 'utf8')
  const [header, ...rows] = text.split('\n')
  expect(header).to.equal(REPLAY_COLUMNS.join(','))
  expect(text.endsWith('\n'), 'the file ends with a whole row').to.equal(true)
  return rows.filter((row) => row !== '')
}

/** Logs how often a kill hit the windows this is about (not asserted: where a random kill lands is chance). */
function reportKills(seed: number, rows: number, logs: string): void {
  const skips = skippedOnRestart(logs)
  const cuts = [...logs.matchAll(/removed the last (\d+) byte\(s\)/g)]
  console.log(
    `      seed ${seed}: ${rows} rows; restarts skipped rows already written ${skips.times} time(s) ` +
      `(${skips.rows} rows), cut off unrecorded rows ${cuts.length} time(s)`,
  )
}

const killTitle =
  'kill -9 at random moments, then restart: the CSV holds every row exactly once (end to end, real Kafka)'
describe(killTitle, function () {
  this.timeout(900_000)
  const seed = Number(process.env.ETL_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31))
  let cwd: string
  let harness: KillHarness

  before(buildCli)
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-kill-'))
    harness = new KillHarness(cwd)
  })
  afterEach(async () => {
    await harness.stopAll()
    await rm(cwd, {recursive: true, force: true})
  })

  it('kill -9 of the process stage only (the topic filled by one clean source run per symbol)', async () => {
    console.log(`      seed ${seed}`)
    const random = seededRandom(seed)
    const topic = uniqueName('etl-e2e-kill')
    const group = uniqueName('etl-e2e-kill-group')
    const out = join(cwd, 'out.csv')
    // Keys the producer's partitioner (kafkajs' default, murmur2) puts on partitions 1, 0 and 2: every partition works.
    const symbols = ['BTC', 'SOL', 'DOT']
    const limit = 7000
    await createTopic(topic, 3)
    // ~100 s of replay per symbol (5-minute candles at 21000× real time), all three at once: the kills land while
    // records keep arriving.
    const sources = symbols.map((symbol) => {
      const name = `kr-src-${symbol.toLowerCase()}-${topic}`
      const settings = {name, topic, group, symbol, limit, speed: 21_000, sinks: csvSink(join(cwd, 'unused.csv'))}
      return harness.start(['run', writeReplayPipeline(cwd, settings), '--stage', 'source'])
    })
    const processSettings = {name: `kr-process-${topic}`, topic, group, symbol: 'BTC', limit, speed: 0}
    const processFile = writeReplayPipeline(cwd, {...processSettings, sinks: csvSink(out)})
    const args = ['run', processFile, '--stage', 'process']
    let logs = ''
    for (let round = 1; round <= 8; round++) logs += await harness.killRound(args, random, round)

    for (const source of sources) {
      const exit = await source.exited
      expect(exit, source.output.stderr).to.deep.equal({code: 0, signal: null})
    }
    logs += await harness.runUntilCommitted(args, topic, group)
    const sizes = await partitionSizes(topic)
    expect(
      [...sizes.values()].every((size) => size > 0),
      'every partition holds records',
    ).to.equal(true)
    const actual = csvRows(out)
    expectExactly(
      actual,
      symbols.flatMap((symbol) => expectedRows(symbol, limit)),
      seed,
      symbols,
    )
    reportKills(seed, actual.length, logs)
  })

  it('kill -9 of the whole pipeline (source and process stage in one process)', async () => {
    console.log(`      seed ${seed}`)
    const random = seededRandom(seed + 1)
    const topic = uniqueName('etl-e2e-killall')
    const group = uniqueName('etl-e2e-killall-group')
    const out = join(cwd, 'out.csv')
    const limit = 20_000
    // ~60 s of replay: kills land while the source still emits.
    const settings = {name: `kr-all-${topic}`, topic, group, symbol: 'BTC', limit, speed: 100_000}
    const file = writeReplayPipeline(cwd, {...settings, sinks: csvSink(out)})
    let logs = ''
    for (let round = 1; round <= 5; round++) logs += await harness.killRound(['run', file], random, round)
    // The last run ends by itself once the replay is through and everything is in the CSV.
    const last = harness.start(['run', file])
    const exit = await last.exited
    expect(exit, last.output.stderr).to.deep.equal({code: 0, signal: null})
    logs += last.output.stderr
    const actual = csvRows(out)
    expectExactly(actual, expectedRows('BTC', limit), seed, ['BTC'])
    reportKills(seed, actual.length, logs)
  })
})
