/**
 * A throwaway PostgreSQL cluster in a folder of our choosing, for tests, benchmarks and a developer's machine: no
 * Docker, no system service, no socket in /var/run. Mirrors kafka-local: start resolves once clients can connect,
 * stop is clean (`fast`) or a crash (`immediate`, what kill -9 of the server does), and starting again on the same
 * folder keeps the data. pg_ctl keeps the server's pid (data/postmaster.pid); postgres.json keeps how to reach it.
 */
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {mkdir, rm, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {EtlError} from '../errors.js'
import {createLogger, type Logger} from '../logger.js'
import {isPortOpen, lastLines, readFrom, sizeOf} from '../kafka-local/broker-process.js'
import {serverBinaries} from './server-binaries.js'
import {handToServerUser, runServerCommand, runServerCommandSync} from './server-user.js'

export const DEFAULT_POSTGRES_HOST = '127.0.0.1'
export const DEFAULT_POSTGRES_PORT = 5432
export const DEFAULT_POSTGRES_USER = 'etl'

export interface LocalPostgresOptions {
  /** The cluster's folder: data/, the Unix socket, server.log and postgres.json. */
  dir: string
  /** Default: the port of the last start in this folder, else 5432. */
  port?: number
  /** The superuser initdb creates (default etl). Only read when the cluster is created. */
  user?: string
  /**
   * The superuser's password, only read when the cluster is created. Given: TCP connections must present it (SCRAM),
   * so tests can see a wrong password refused. Absent: every connection is trusted.
   */
  password?: string
  /** Off: the server skips fsync (tests). A killed server still loses nothing committed; a power cut would. */
  fsync?: boolean
  logger?: Logger
  startTimeoutMs?: number
}

export type StopMode = 'fast' | 'immediate'

export interface LocalPostgresInfo {
  host: string
  port: number
  user: string
  /** Where the server's Unix socket lives (psql -h <socketDir>). */
  socketDir: string
  dataDir: string
  logFile: string
  /** postgres://user@host:port/postgres, without a password. */
  url: string
  alreadyRunning: boolean
}

export interface LocalPostgresStatus {
  running: boolean
  pid?: number
  port?: number
  dataDir: string
  logFile: string
}

interface ServerRecord {
  host: string
  port: number
  user: string
  startedAt: string
}

export function localPostgresPaths(dir: string) {
  const root = resolve(dir)
  return {
    dir: root,
    dataDir: join(root, 'data'),
    logFile: join(root, 'server.log'),
    recordFile: join(root, 'postgres.json'),
    pwFile: join(root, 'initdb.pw'),
  }
}
type Paths = ReturnType<typeof localPostgresPaths>

function readRecord(paths: Paths): ServerRecord | undefined {
  try {
    return JSON.parse(readFileSync(paths.recordFile, 'utf8')) as ServerRecord
  } catch {
    return undefined
  }
}

function infoOf(record: ServerRecord, paths: Paths, alreadyRunning: boolean): LocalPostgresInfo {
  const {host, port, user} = record
  const url = `postgres://${encodeURIComponent(user)}@${host}:${port}/postgres`
  return {host, port, user, socketDir: paths.dir, dataDir: paths.dataDir, logFile: paths.logFile, url, alreadyRunning}
}

/** Creates the cluster on first use (initdb); a folder that already holds one is left as it is. */
async function initIfNeeded(paths: Paths, options: LocalPostgresOptions, logger: Logger): Promise<void> {
  if (existsSync(join(paths.dataDir, 'PG_VERSION'))) return
  const {initdb} = serverBinaries()
  const user = options.user ?? DEFAULT_POSTGRES_USER
  const args = ['-D', paths.dataDir, '-U', user, '-E', 'UTF8', '--no-locale']
  if (options.password === undefined) args.push('-A', 'trust')
  else {
    // Readable by the server's user (the folder is its own); removed as soon as initdb has read it.
    await writeFile(paths.pwFile, `${options.password}\n`, {mode: 0o644})
    args.push('--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${paths.pwFile}`)
  }
  if (options.fsync === false) args.push('--no-sync')
  logger.info('creating a PostgreSQL cluster', {dataDir: paths.dataDir, user})
  const {code, output} = await runServerCommand(initdb, args).finally(() => rm(paths.pwFile, {force: true}))
  if (code !== 0) {
    await rm(paths.dataDir, {recursive: true, force: true})
    throw new EtlError('ETL_POSTGRES_SETUP', `initdb failed (exit ${code}):\n${lastLines(output, 20)}`)
  }
}

/** The options pg_ctl hands the server: our port, our socket folder, loopback only. */
function serverOptions(paths: Paths, port: number, fsync: boolean): string {
  const quoted = `'${paths.dir.replace(/'/g, `'\\''`)}'`
  return [`-p ${port}`, `-k ${quoted}`, `-c listen_addresses=${DEFAULT_POSTGRES_HOST}`, fsync ? '' : '-c fsync=off']
    .filter(Boolean)
    .join(' ')
}

/** Starts the folder's cluster (creating it first when needed); resolves once it accepts connections. */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgresInfo> {
  const logger = options.logger ?? createLogger('postgres-local')
  const paths = localPostgresPaths(options.dir)
  const previous = readRecord(paths)
  const record: ServerRecord = {
    host: DEFAULT_POSTGRES_HOST,
    port: options.port ?? previous?.port ?? DEFAULT_POSTGRES_PORT,
    user: previous?.user ?? options.user ?? DEFAULT_POSTGRES_USER,
    startedAt: new Date().toISOString(),
  }
  await mkdir(paths.dir, {recursive: true})
  handToServerUser(paths.dir)
  await initIfNeeded(paths, options, logger)
  const status = await localPostgresStatus(options.dir)
  if (status.running && previous) return infoOf(previous, paths, true)
  if (await isPortOpen(record.host, record.port)) throw portInUse(record)
  await launch(paths, record, options)
  writeFileSync(paths.recordFile, JSON.stringify(record, null, 2) + '\n')
  logger.info('PostgreSQL started', {port: record.port, dataDir: paths.dataDir})
  return infoOf(record, paths, false)
}

/** pg_ctl start -w: returns when the server accepts connections, or fails with the end of its log. */
async function launch(paths: Paths, record: ServerRecord, options: LocalPostgresOptions): Promise<void> {
  const {pgCtl} = serverBinaries()
  const timeoutS = Math.ceil((options.startTimeoutMs ?? 60_000) / 1000)
  const logOffset = sizeOf(paths.logFile)
  const args = ['-D', paths.dataDir, '-l', paths.logFile, '-w', '-t', String(timeoutS)]
  args.push('-o', serverOptions(paths, record.port, options.fsync !== false), 'start')
  const {code, output} = await runServerCommand(pgCtl, args, (timeoutS + 10) * 1000)
  if (code === 0) return
  const tail = lastLines(readFrom(paths.logFile, logOffset), 20)
  throw new EtlError(
    'ETL_POSTGRES_SETUP',
    `PostgreSQL did not start on port ${record.port} (pg_ctl exit ${code}): ${lastLines(output, 5)}\n` +
      `--- last lines of ${paths.logFile} ---\n${tail}`,
    {details: {port: record.port, logFile: paths.logFile}},
  )
}

function portInUse(record: ServerRecord): EtlError {
  return new EtlError(
    'ETL_POSTGRES_SETUP',
    `Port ${record.port} on ${record.host} is already in use by another program; choose another port.`,
    {details: {port: record.port}},
  )
}

/**
 * Stops the folder's cluster. `fast` rolls back open transactions and shuts down cleanly; `immediate` kills the
 * server processes without a checkpoint, as a crash would: the next start replays the WAL.
 */
export async function stopLocalPostgres(dir: string, mode: StopMode = 'fast'): Promise<{wasRunning: boolean}> {
  const paths = localPostgresPaths(dir)
  if (!(await localPostgresStatus(dir)).running) return {wasRunning: false}
  const {pgCtl} = serverBinaries()
  const {code, output} = await runServerCommand(pgCtl, ['-D', paths.dataDir, '-m', mode, '-w', 'stop'])
  if (code !== 0) {
    throw new EtlError('ETL_POSTGRES_SETUP', `pg_ctl stop -m ${mode} failed (exit ${code}): ${lastLines(output, 5)}`)
  }
  return {wasRunning: true}
}

/** Crash-stops the cluster synchronously (process exit handlers) and optionally removes its folder. */
export function stopLocalPostgresSync(dir: string, {remove = false} = {}): void {
  const paths = localPostgresPaths(dir)
  try {
    if (existsSync(join(paths.dataDir, 'postmaster.pid'))) {
      runServerCommandSync(serverBinaries().pgCtl, ['-D', paths.dataDir, '-m', 'immediate', '-w', 'stop'])
    }
  } finally {
    if (remove) rmSync(paths.dir, {recursive: true, force: true})
  }
}

/** Whether the folder's server runs (pg_ctl status exits 0), with its pid and port. */
export async function localPostgresStatus(dir: string): Promise<LocalPostgresStatus> {
  const paths = localPostgresPaths(dir)
  const base = {dataDir: paths.dataDir, logFile: paths.logFile}
  if (!existsSync(join(paths.dataDir, 'PG_VERSION'))) return {running: false, ...base}
  const {code, output} = await runServerCommand(serverBinaries().pgCtl, ['-D', paths.dataDir, 'status'])
  if (code !== 0) return {running: false, ...base}
  const pid = Number(/PID: (\d+)/.exec(output)?.[1])
  return {running: true, pid: Number.isInteger(pid) ? pid : undefined, port: readRecord(paths)?.port, ...base}
}
