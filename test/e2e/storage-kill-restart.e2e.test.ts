/**
 * End to end, against a real PostgreSQL and a Parquet lake read back by DuckDB: the exactly-once sinks keep every row
 * once whatever is killed when. `kill -9` of the process stage at seeded random moments (ETL_KILL_SEED=<seed>
 * replays them), two process workers writing one table while one of them is killed, and the database stopped for
 * 20 s in the middle of a run. The expected rows come from the history file alone (test/support/kill-restart.ts), as
 * in the csv sink's kill test (kill-restart.e2e.test.ts).
 */
import {expect} from 'chai'
import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import pg from 'pg'
import {DuckDBInstance} from '@duckdb/node-api'
import {createTopic, uniqueName} from '../support/kafka-test-utils.js'
import {
  allCommitted,
  expectedRows,
  expectExactly,
  KillHarness,
  REPLAY_COLUMNS,
  skippedOnRestart,
  sleep,
  waitFor,
  writeReplayPipeline,
} from '../support/kill-restart.js'
import {buildCli} from '../support/run-cli.js'
import {seededRandom} from '../support/seeded-random.js'
import {testPostgres, ThrowawayPostgres} from '../support/test-postgres.js'

// Keys the producer's partitioner (kafkajs' default, murmur2) puts on partitions 1, 0 and 2: every partition works.
const SYMBOLS = ['BTC', 'SOL', 'DOT']
const LIMIT = 5000

const postgresSink = (url: string, table: string) => [
  '  - type: postgres',
  `    url: ${url}`,
  `    table: ${table}`,
  '    columns:',
  '      symbol: text',
  '      timestamp: timestamptz',
  '      price_usd: double precision',
  '      volume: double precision',
  '      usd_x3: double precision',
  // Rides out a database outage of any length, as the process stage rides out a broker outage.
  '    retry: {maxAttempts: 0, initialDelay: 200ms, maxDelay: 2s}',
]

const parquetSink = (root: string) => [
  '  - type: parquet',
  `    path: ${root}`,
  '    partitionBy: [symbol]',
  '    columns:',
  '      - {name: symbol, type: string}',
  '      - {name: timestamp, type: timestamp}',
  '      - {name: price_usd, type: double}',
  '      - {name: volume, type: double}',
  '      - {name: usd_x3, type: double}',
  // Small files, so rolls happen between the kills too, not only at the end.
  '    roll: {maxRows: 2000, maxAge: 2s}',
]

/** A table's rows in REPLAY_COLUMNS order, as the comma-joined text expectedRows gives. */
async function tableRows(url: string, table: string): Promise<string[]> {
  const client = new pg.Client({connectionString: url})
  await client.connect()
  try {
    const {rows} = await client.query<Record<string, unknown>>(`SELECT ${REPLAY_COLUMNS.join(', ')} FROM ${table}`)
    return rows.map((row) =>
      [row.symbol, (row.timestamp as Date).toISOString(), row.price_usd, row.volume, row.usd_x3].map(String).join(','),
    )
  } finally {
    await client.end()
  }
}

/** The lake's rows as DuckDB reads them (every visible .parquet file, Hive partitions included), as text rows. */
async function lakeRows(root: string): Promise<string[]> {
  const duckdb = await DuckDBInstance.create(':memory:')
  const connection = await duckdb.connect()
  try {
    const glob = join(root, '**', '*.parquet').replaceAll("'", "''")
    const reader = await connection.runAndReadAll(
      `SELECT symbol, epoch_ms("timestamp") AS ms, price_usd, volume, usd_x3, typeof("timestamp") AS ts_type,
              typeof(price_usd) AS price_type
       FROM read_parquet('${glob}', hive_partitioning = true)`,
    )
    return reader.getRowObjects().map((row) => {
      expect([row.ts_type, row.price_type]).to.deep.equal(['TIMESTAMP', 'DOUBLE'])
      const iso = new Date(Number(row.ms)).toISOString()
      return [row.symbol, iso, row.price_usd, row.volume, row.usd_x3].map(String).join(',')
    })
  } finally {
    connection.closeSync()
  }
}

describe('exactly-once into PostgreSQL and a Parquet lake: kill -9, two workers, a database outage', function () {
  this.timeout(900_000)
  const seed = Number(process.env.ETL_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31))
  let cwd: string
  let harness: KillHarness
  let postgres: ThrowawayPostgres

  before(async () => {
    buildCli()
    postgres = await testPostgres()
  })
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-storage-'))
    harness = new KillHarness(cwd)
  })
  afterEach(async () => {
    await harness.stopAll()
    await rm(cwd, {recursive: true, force: true})
  })

  /** Fills a new 3-partition topic from one clean source run per symbol (~60 s of replay, all at once). */
  function startSources(topic: string, group: string, sinks: string[]) {
    return SYMBOLS.map((symbol) => {
      const name = `st-src-${symbol.toLowerCase()}-${topic}`
      const settings = {name, topic, group, symbol, limit: LIMIT, speed: 25_000, sinks}
      return harness.start(['run', writeReplayPipeline(cwd, settings), '--stage', 'source'])
    })
  }

  async function sourcesFinished(sources: ReturnType<typeof startSources>): Promise<void> {
    for (const source of sources) {
      const exit = await source.exited
      expect(exit, source.output.stderr).to.deep.equal({code: 0, signal: null})
    }
  }

  /** kill -9 of the process stage in rounds while the topic fills, then a run to the end: the rows, once each. */
  async function killRounds(name: string, sinks: string[], rounds: number): Promise<string> {
    console.log(`      seed ${seed}`)
    const random = seededRandom(seed)
    const topic = uniqueName(`etl-e2e-${name}`)
    const group = uniqueName(`etl-e2e-${name}-group`)
    await createTopic(topic, 3)
    const sources = startSources(topic, group, ['  - type: stdout'])
    const file = writeReplayPipeline(cwd, {
      name: `st-${topic}`,
      topic,
      group,
      symbol: 'BTC',
      limit: LIMIT,
      speed: 0,
      sinks,
    })
    const args = ['run', file, '--stage', 'process']
    let logs = ''
    for (let round = 1; round <= rounds; round++) logs += await harness.killRound(args, random, round)
    await sourcesFinished(sources)
    logs += await harness.runUntilCommitted(args, topic, group)
    const skipped = skippedOnRestart(logs)
    console.log(`      restarts skipped rows already written ${skipped.times} time(s) (${skipped.rows} rows)`)
    return logs
  }

  const expected = () => SYMBOLS.flatMap((symbol) => expectedRows(symbol, LIMIT))

  it('postgres: kill -9 of the process stage at random moments, restarted each time', async () => {
    const {url} = await postgres.freshDatabase('kill')
    await killRounds('pg-kill', postgresSink(url, 'ticks'), 5)
    expectExactly(await tableRows(url, 'ticks'), expected(), seed)
  })

  it('postgres: two process workers into one table, one killed mid-run and restarted', async () => {
    const {url} = await postgres.freshDatabase('workers')
    const topic = uniqueName('etl-e2e-pg-workers')
    const group = uniqueName('etl-e2e-pg-workers-group')
    await createTopic(topic, 3)
    const sources = startSources(topic, group, ['  - type: stdout'])
    const settings = {name: `st-w-${topic}`, topic, group, symbol: 'BTC', limit: LIMIT, speed: 0}
    const args = [
      'run',
      writeReplayPipeline(cwd, {...settings, sinks: postgresSink(url, 'ticks')}),
      '--stage',
      'process',
    ]
    const first = harness.start(args)
    const second = harness.start(args)
    const split = /assigned partition\(s\) \d(,\d)? of/
    await waitFor('both workers to own partitions', 120_000, () =>
      [first, second].every((worker) => split.test(worker.output.stderr)),
    )
    const delay = 500 + Math.floor(seededRandom(seed + 2)() * 3000)
    await sleep(delay)
    first.child.kill('SIGKILL')
    console.log(`      killed one worker ${delay} ms after both owned partitions`)
    await first.exited
    // The survivor takes over once the dead member's session expires; a restarted worker takes some partitions back.
    await sleep(5000)
    const again = harness.start(args)
    await sourcesFinished(sources)
    await waitFor('the workers to commit everything', 240_000, () => allCommitted(topic, group), [second, again])
    for (const worker of [second, again]) worker.child.kill('SIGINT')
    for (const worker of [second, again]) {
      expect(await worker.exited, worker.output.stderr).to.deep.equal({code: 0, signal: null})
    }
    expectExactly(await tableRows(url, 'ticks'), expected(), seed)
  })

  it('postgres: the database down for 20 s mid-run: the run continues, the table is complete', async () => {
    // A cluster of its own: stopping the shared one would fail other tests' connections.
    const server = await ThrowawayPostgres.start()
    try {
      const {url} = await server.freshDatabase('outage')
      const topic = uniqueName('etl-e2e-pg-outage')
      const group = uniqueName('etl-e2e-pg-outage-group')
      // One run of the whole pipeline, ~40 s of replay of one symbol.
      const settings = {name: `st-o-${topic}`, topic, group, symbol: 'BTC', limit: 8000, speed: 60_000}
      const etl = harness.start(['run', writeReplayPipeline(cwd, {...settings, sinks: postgresSink(url, 'ticks')})])
      const someRows = async () => (await tableRows(url, 'ticks').catch(() => [])).length > 0
      await waitFor('rows in the table', 120_000, someRows, [etl])
      await server.stop('immediate')
      const stoppedAt = Date.now()
      await sleep(20_000)
      await server.start()
      console.log(`      the database was down for ${Math.round((Date.now() - stoppedAt) / 1000)} s`)
      const exit = await etl.exited
      expect(exit, etl.output.stderr).to.deep.equal({code: 0, signal: null})
      expect(etl.output.stderr, 'the outage was retried').to.match(/sink postgres\s+sink_retry\s+[1-9]/)
      expectExactly(await tableRows(url, 'ticks'), expectedRows('BTC', 8000), seed)
    } finally {
      server.dispose()
    }
  })

  it('parquet: kill -9 of the process stage at random moments, restarted: DuckDB reads each row once', async () => {
    const root = join(cwd, 'lake')
    await killRounds('pq-kill', parquetSink(root), 5)
    expectExactly(await lakeRows(root), expected(), seed)
    // Nothing half-written is left where a reader looks: only complete .parquet files under the partitions.
    const files = (await readdir(root, {recursive: true})).filter((file) => !file.startsWith('_'))
    expect(files.filter((file) => /\.tmp$|\.part$/.test(file))).to.deep.equal([])
  })
})
