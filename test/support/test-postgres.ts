/**
 * A real PostgreSQL for tests, no Docker and no mock: one throwaway cluster per mocha process, started on a free port
 * by the first test that asks for it and crash-stopped (with its folder removed) when the process exits. Each test
 * file takes a fresh database of it, so files never see each other's tables. Tests that stop or crash the server
 * start a private cluster with startThrowawayPostgres instead of disturbing the shared one.
 */
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import pg from 'pg'
import {createLogger} from '../../src/runtime/logger.js'
import {
  startLocalPostgres,
  stopLocalPostgres,
  stopLocalPostgresSync,
  type LocalPostgresInfo,
  type StopMode,
} from '../../src/runtime/postgres-local/local-postgres.js'
import {findServerBindir} from '../../src/runtime/postgres-local/server-binaries.js'
import {freePorts} from './global-broker.js'

const ENSURE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-postgres.sh', import.meta.url))

/** How to reach a database of a test cluster; `url` carries the password. */
export interface TestDatabase {
  host: string
  port: number
  user: string
  password: string
  database: string
  url: string
}

/** A cluster a test owns: it may stop, crash and start it again (same folder, same port). */
export class ThrowawayPostgres {
  private exitHook = () => stopLocalPostgresSync(this.dir, {remove: true})

  private constructor(
    readonly dir: string,
    readonly password: string,
    public info: LocalPostgresInfo,
  ) {
    process.once('exit', this.exitHook)
  }

  static async start(): Promise<ThrowawayPostgres> {
    await ensureServerPrograms()
    const dir = mkdtempSync(join(tmpdir(), 'etl-test-pg-'))
    const [port] = await freePorts(1)
    const password = `pw-${randomBytes(8).toString('hex')}`
    const info = await startLocalPostgres({dir, port, password, fsync: false, logger: quietLogger()})
    return new ThrowawayPostgres(dir, password, info)
  }

  /** The maintenance database `postgres`, or `database`. */
  database(database = 'postgres'): TestDatabase {
    const {host, port, user} = this.info
    const url = `postgres://${user}:${this.password}@${host}:${port}/${database}`
    return {host, port, user, password: this.password, database, url}
  }

  /** A new, empty database named after `label`. */
  async freshDatabase(label: string): Promise<TestDatabase> {
    const name = `${label.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_${randomBytes(4).toString('hex')}`.slice(0, 60)
    await withClient(this.database(), (client) => client.query(`CREATE DATABASE "${name}"`))
    return this.database(name)
  }

  stop(mode: StopMode = 'fast'): Promise<{wasRunning: boolean}> {
    return stopLocalPostgres(this.dir, mode)
  }

  async start(): Promise<void> {
    this.info = await startLocalPostgres({dir: this.dir, fsync: false, logger: quietLogger()})
  }

  /** Crash-stops the server and removes its folder. */
  dispose(): void {
    process.removeListener('exit', this.exitHook)
    this.exitHook()
  }
}

function quietLogger() {
  return createLogger('test-postgres', {level: 'warn'})
}

let shared: Promise<ThrowawayPostgres> | undefined

/** The cluster every test of this mocha process shares (started on first call). */
export function testPostgres(): Promise<ThrowawayPostgres> {
  shared ??= ThrowawayPostgres.start()
  return shared
}

/** A fresh database of the shared cluster, for one test file (call it in `before`). */
export async function freshTestDatabase(label: string): Promise<TestDatabase> {
  return (await testPostgres()).freshDatabase(label)
}

/** Runs `work` with a connected client and always closes it. */
export async function withClient<T>(database: TestDatabase, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({connectionString: database.url})
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Runs one query and returns its rows. */
export function query<Row = Record<string, unknown>>(database: TestDatabase, text: string, values?: unknown[]) {
  return withClient(database, async (client) => (await client.query(text, values)).rows as Row[])
}

let ensured: Promise<void> | undefined

/** Installs the server programs through scripts/ensure-postgres.sh when they are missing (as root: apt-get). */
function ensureServerPrograms(): Promise<void> {
  ensured ??= new Promise<void>((resolve, reject) => {
    if (findServerBindir()) return resolve()
    const child = spawn(ENSURE_SCRIPT, [], {stdio: ['ignore', 'pipe', 'inherit'], timeout: 10 * 60_000})
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      const bindir = stdout.trim().split('\n').pop()
      if (code !== 0 || !bindir) return reject(new Error('scripts/ensure-postgres.sh failed; see its messages above'))
      process.env.ETL_POSTGRES_BINDIR = bindir
      resolve()
    })
  })
  return ensured
}
