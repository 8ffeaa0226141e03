/**
 * The postgres sink's write rate beside PostgreSQL's own bulk load on the same server: the same tick-like rows
 * (symbol, price_usd, volume, timestamp) once through the sink — batches written and flushed the way the process stage
 * does, each flush one transaction with its positions in etl_offsets — and once as one CSV file through
 * `psql -c "\copy … FROM …"`. The ratio sink / psql says what exactly-once costs against the fastest load there is.
 * No broker: this measures the sink alone.
 *
 *   node --import tsx bench/scenarios/postgres-sink.ts [--rows 100000] [--batch 2000] [--rounds 3] [--json]
 *
 * Run directly it starts a throwaway cluster (src/runtime/postgres-local) with fsync on, and removes it afterwards.
 */
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import pg from 'pg'
import postgres from '../../src/plugins/sink/postgres/index.js'
import type {EtlRecord} from '../../src/runtime/plugin-types.js'
import {tickRows} from '../lib/tick-rows.js'
import {startLocalPostgres, stopLocalPostgresSync} from '../../src/runtime/postgres-local/local-postgres.js'
import {origin, pluginConfig, testContext} from '../../src/testing/index.js'
import {freePorts} from '../../test/support/global-broker.js'

/** Where the bench writes: a database it may create tables in. */
export interface BenchDatabase {
  host: string
  port: number
  user: string
  password?: string
  database: string
}

export interface LoadRate {
  rows: number
  seconds: number
  rowsPerSec: number
}

export interface PostgresSinkResult {
  rows: number
  batchSize: number
  /** The round whose ratio is the median. */
  sink: LoadRate
  psqlCopy: LoadRate
  /** sink rows/s ÷ psql \copy rows/s, the median of the rounds; the goal is ≥ 0.5. */
  ratio: number
  /** Every round's ratio, in run order (the sink, then psql, in each). */
  ratios: number[]
}

const COLUMNS = {symbol: 'text', price_usd: 'double precision', volume: 'double precision', timestamp: 'timestamptz'}

function urlOf(db: BenchDatabase): string {
  const auth = db.password ? `${db.user}:${encodeURIComponent(db.password)}` : db.user
  return `postgres://${auth}@${db.host}:${db.port}/${db.database}`
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(0)} %`

function rate(rows: number, ms: number): LoadRate {
  return {rows, seconds: ms / 1000, rowsPerSec: Math.round(rows / (ms / 1000))}
}

/** The sink as the process stage drives it: per batch write (with its origin), then flush; close at the end. */
async function timeSink(db: BenchDatabase, rows: EtlRecord[], batchSize: number): Promise<LoadRate> {
  const {context} = testContext({logLevel: 'warn', consumer: {group: 'bench', topic: 'bench-ticks'}})
  const config = pluginConfig(postgres, {url: urlOf(db), table: 'bench_sink', columns: COLUMNS})
  const sink = await postgres.create(config, context)
  const started = performance.now()
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize).map((row) => ({...row}))
    await sink.write(batch, origin(0, start + batch.length))
    await sink.flush()
  }
  const ms = performance.now() - started
  await sink.close()
  return rate(rows.length, ms)
}

/** The same rows as one CSV file, loaded by psql's \copy (client-side COPY FROM STDIN, one transaction). */
async function timePsqlCopy(db: BenchDatabase, rows: EtlRecord[], dir: string): Promise<LoadRate> {
  const file = join(dir, 'ticks.csv')
  writeFileSync(file, rows.map((r) => `${r.symbol},${r.price_usd},${r.volume},${r.timestamp}`).join('\n') + '\n')
  const client = new pg.Client({connectionString: urlOf(db)})
  await client.connect()
  await client.query(
    'DROP TABLE IF EXISTS bench_psql; ' +
      'CREATE TABLE bench_psql (symbol text, price_usd double precision, volume double precision, ' +
      'timestamp timestamptz)',
  )
  await client.end()
  const copy = `\\copy bench_psql (symbol, price_usd, volume, timestamp) FROM '${file}' WITH (FORMAT csv)`
  const started = performance.now()
  await runPsql(db, copy)
  return rate(rows.length, performance.now() - started)
}

function runPsql(db: BenchDatabase, command: string): Promise<void> {
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', db.host, '-p', String(db.port), '-U', db.user]
  const env = {...process.env, ...(db.password ? {PGPASSWORD: db.password} : {})}
  return new Promise((resolve, reject) => {
    const child = spawn('psql', [...args, '-d', db.database, '-c', command], {stdio: ['ignore', 'ignore', 'pipe'], env})
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`psql failed (exit ${code}): ${stderr}`))))
  })
}

/**
 * Both loads of `rows` tick rows into `db` (tables bench_sink and bench_psql, replaced), `rounds` times in turn: on a
 * shared machine the load moves within seconds, so one pair can be far off; the median round's ratio is reported.
 */
export async function postgresSinkBench(
  db: BenchDatabase,
  options: {rows?: number; batchSize?: number; rounds?: number} = {},
): Promise<PostgresSinkResult> {
  const rows = tickRows(options.rows ?? 100_000)
  const batchSize = options.batchSize ?? 2000
  const dir = mkdtempSync(join(tmpdir(), 'etl-bench-pg-'))
  try {
    const pairs: {sink: LoadRate; psqlCopy: LoadRate; ratio: number}[] = []
    for (let round = 0; round < (options.rounds ?? 3); round++) {
      const client = new pg.Client({connectionString: urlOf(db)})
      await client.connect()
      await client.query('DROP TABLE IF EXISTS bench_sink; DROP TABLE IF EXISTS etl_offsets')
      await client.end()
      // The sink first: a cold server (fresh cluster, empty caches) can only make the sink's figure look worse.
      const sink = await timeSink(db, rows, batchSize)
      const psqlCopy = await timePsqlCopy(db, rows, dir)
      pairs.push({sink, psqlCopy, ratio: sink.rowsPerSec / psqlCopy.rowsPerSec})
    }
    const median = [...pairs].sort((a, b) => a.ratio - b.ratio)[Math.floor(pairs.length / 2)]
    return {rows: rows.length, batchSize, ...median, ratios: pairs.map((pair) => pair.ratio)}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

async function main(): Promise<void> {
  const {values} = parseArgs({
    options: {
      rows: {type: 'string', default: '100000'},
      batch: {type: 'string', default: '2000'},
      rounds: {type: 'string', default: '3'},
      json: {type: 'boolean'},
    },
  })
  const dir = mkdtempSync(join(tmpdir(), 'etl-bench-pg-cluster-'))
  try {
    const [port] = await freePorts(1)
    const info = await startLocalPostgres({dir, port})
    const db = {host: info.host, port: info.port, user: info.user, database: 'postgres'}
    const result = await postgresSinkBench(db, {
      rows: Number(values.rows),
      batchSize: Number(values.batch),
      rounds: Number(values.rounds),
    })
    if (values.json) return void process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    const line = (name: string, r: LoadRate) => `${name.padEnd(16)} ${String(r.rowsPerSec).padStart(9)} rows/s`
    process.stdout.write(
      `${result.rows} rows, sink batches of ${result.batchSize}\n${line('postgres sink', result.sink)}\n` +
        `${line('psql \\copy', result.psqlCopy)}\nratio ${percent(result.ratio)} (median of ` +
        `${result.ratios.map(percent).join(', ')}; goal ≥ 50 %)\n`,
    )
  } finally {
    stopLocalPostgresSync(dir, {remove: true})
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
