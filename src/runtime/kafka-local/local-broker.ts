/**
 * A real single-node Kafka broker run from Maven Central jars, for developers and tests without Docker. It runs
 * detached in its own process group so it outlives the CLI that started it; broker.json remembers it for stop/status.
 */
import {spawn} from 'node:child_process'
import {closeSync, existsSync, openSync, readFileSync} from 'node:fs'
import {mkdir, rm, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {EtlError} from '../errors.js'
import {createLogger, type Logger} from '../logger.js'
import {stateDir as defaultStateDir} from '../paths.js'
import {backoffDelay, sleep} from '../retry.js'
import {log4j2Properties, resolveBrokerConfig, serverProperties, type ResolvedBrokerConfig} from './broker-config.js'
import {topicsServe} from './broker-ready.js'
import {isGone, isPortOpen, lastLines, newClusterId, readFrom, runJava, runsCommand} from './broker-process.js'
import {signalGroup, sizeOf, waitGone, waitReaped} from './broker-process.js'
import {ensureKafkaJars, javaCommand, KAFKA_VERSION} from './kafka-jars.js'

export {isPortOpen} from './broker-process.js'

export interface LocalBrokerOptions {
  stateDir?: string
  port?: number
  controllerPort?: number
  heapMb?: number
  logger?: Logger
  startTimeoutMs?: number
  /** Where the jars are cached; defaults to cacheDir(). */
  cacheRoot?: string
}

export interface LocalBrokerInfo {
  brokers: string
  pid: number
  logFile: string
  dataDir: string
  alreadyRunning: boolean
}

export interface LocalBrokerStatus {
  running: boolean
  pid?: number
  brokers?: string
  startedAt?: string
  logFile: string
  dataDir: string
}

export interface LocalBrokerStopResult {
  wasRunning: boolean
  pid?: number
  /** True when the broker ignored SIGTERM and had to be killed. */
  forced: boolean
}

export interface BrokerRecord {
  pid: number
  host: string
  port: number
  controllerPort: number
  version: string
  startedAt: string
}

const STARTED_LINE = 'Kafka Server started'
const STOP_GRACE_MS = 20_000

export function localBrokerPaths(root: string = defaultStateDir()) {
  // Absolute, because the JVM runs in another working directory and the pid check matches its command line.
  return brokerPathsIn(join(resolve(root), 'kafka'), 'broker.json')
}

/** The files of one broker JVM kept in dir (the single broker's, or one cluster node's: local-cluster.ts). */
export function brokerPathsIn(dir: string, recordName: string) {
  const logsDir = join(dir, 'logs')
  return {
    dir,
    dataDir: join(dir, 'data'),
    logsDir,
    logFile: join(logsDir, 'server.log'),
    consoleFile: join(logsDir, 'console.log'),
    recordFile: join(dir, recordName),
    serverProperties: join(dir, 'server.properties'),
    log4j2Properties: join(dir, 'log4j2.properties'),
  }
}
export type BrokerPaths = ReturnType<typeof localBrokerPaths>

export function readRecord(paths: BrokerPaths): BrokerRecord | undefined {
  try {
    return JSON.parse(readFileSync(paths.recordFile, 'utf8')) as BrokerRecord
  } catch {
    return undefined
  }
}

export function isOurBroker(pid: number, paths: BrokerPaths): boolean {
  return runsCommand(pid, ['kafka.Kafka', paths.serverProperties])
}

/**
 * Formats the KRaft log dir on the first start only; meta.properties carries the cluster id from then on. The nodes
 * of one cluster are all formatted with the same id.
 */
export async function formatIfNeeded(
  libs: string,
  paths: BrokerPaths,
  logger: Logger,
  clusterId = newClusterId(),
): Promise<void> {
  if (existsSync(join(paths.dataDir, 'meta.properties'))) return
  logger.info('formatting a new KRaft data folder', {dataDir: paths.dataDir, clusterId})
  const log4j = `-Dlog4j2.configurationFile=${paths.log4j2Properties}`
  const format = ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', paths.serverProperties]
  const {code, output} = await runJava(['-cp', join(libs, '*'), log4j, ...format], paths.dir)
  if (code !== 0) {
    const message = `Formatting the Kafka data folder ${paths.dataDir} failed (exit ${code}):\n${lastLines(output, 20)}`
    throw new EtlError('ETL_BROKER_SETUP', message)
  }
}

function portInUse(config: ResolvedBrokerConfig, port: number, root: string): EtlError {
  return new EtlError(
    'ETL_BROKER_SETUP',
    `Port ${port} on ${config.host} is already in use by another program (not the local broker of ${root}). ` +
      'Stop that program, or choose free ports with --port and --controller-port. If it is a Kafka broker you want ' +
      `to use, set KAFKA_BROKERS=${config.host}:${port} instead of starting a local one.`,
    {details: {port, host: config.host}},
  )
}

function info(record: BrokerRecord, paths: BrokerPaths, alreadyRunning: boolean): LocalBrokerInfo {
  const {logFile, dataDir} = paths
  return {brokers: `${record.host}:${record.port}`, pid: record.pid, logFile, dataDir, alreadyRunning}
}

/** Removes broker.json only while it still names pid: a concurrent start may have replaced it with its own. */
export async function forgetBroker(paths: BrokerPaths, pid: number): Promise<void> {
  if (readRecord(paths)?.pid === pid) await rm(paths.recordFile, {force: true})
}

/** A recorded broker that is alive but not yet listening is most likely being started by another etl: wait. */
async function awaitExisting(existing: BrokerRecord, paths: BrokerPaths, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 1; !(await isPortOpen(existing.host, existing.port)); attempt++) {
    if (Date.now() > deadline || isGone(existing.pid)) {
      throw new EtlError(
        'ETL_BROKER_SETUP',
        `The local broker (pid ${existing.pid}) runs but does not accept connections on ${existing.host}:` +
          `${existing.port}. See ${paths.logFile}; run "etl kafka stop" and start again.`,
      )
    }
    await sleep(backoffDelay(attempt, {initialDelayMs: 100, maxDelayMs: 1000}))
  }
}

export type SpawnedBroker = ReturnType<typeof spawnBroker>

export function spawnBroker(libs: string, paths: BrokerPaths, heapMb: number) {
  const consoleFd = openSync(paths.consoleFile, 'w')
  const args = [
    `-Xmx${heapMb}M`,
    `-Xms${heapMb}M`,
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dkafka.logs.dir=${paths.logsDir}`,
    `-Dlog4j2.configurationFile=${paths.log4j2Properties}`,
    ...['-cp', join(libs, '*'), 'kafka.Kafka', paths.serverProperties],
  ]
  // Detached: its own process group, so it outlives this CLI and one signal to the group stops all of it.
  const child = spawn(javaCommand(), args, {cwd: paths.dir, detached: true, stdio: ['ignore', consoleFd, consoleFd]})
  closeSync(consoleFd)
  const state: {exit?: string} = {}
  child.on('exit', (code, signal) => (state.exit = signal ? `signal ${signal}` : `exit code ${code}`))
  child.on('error', (error) => (state.exit = error.message))
  child.unref()
  return {pid: child.pid, state}
}

async function startFailure(paths: BrokerPaths, pid: number, logOffset: number, why: string): Promise<EtlError> {
  signalGroup(pid, 'SIGKILL')
  if (await waitGone(pid, 5000)) await waitReaped(pid)
  await forgetBroker(paths, pid)
  const serverTail = lastLines(readFrom(paths.logFile, logOffset), 20)
  const consoleTail = lastLines(readFrom(paths.consoleFile, 0), 20)
  const sections = [
    serverTail && `--- last lines of ${paths.logFile} ---\n${serverTail}`,
    consoleTail && `--- ${paths.consoleFile} ---\n${consoleTail}`,
  ].filter(Boolean)
  const message = `The local Kafka broker ${why}. Log: ${paths.logFile}\n${sections.join('\n')}`
  const details = {pid, logFile: paths.logFile, consoleFile: paths.consoleFile}
  return new EtlError('ETL_BROKER_SETUP', message, {details})
}

/** Starts the broker unless this state folder's broker already runs; resolves once clients can use it. */
export async function startLocalBroker(options: LocalBrokerOptions = {}): Promise<LocalBrokerInfo> {
  const logger = options.logger ?? createLogger('kafka-local')
  const root = resolve(options.stateDir ?? defaultStateDir())
  const paths = localBrokerPaths(root)
  const {port, controllerPort} = options
  const config = resolveBrokerConfig({dataDir: paths.dataDir, logsDir: paths.logsDir, port, controllerPort})
  const timeoutMs = options.startTimeoutMs ?? 60_000

  const existing = readRecord(paths)
  if (existing && isOurBroker(existing.pid, paths)) {
    await awaitExisting(existing, paths, timeoutMs)
    if (existing.port !== config.port) {
      logger.warn(`the local broker already runs on port ${existing.port}, not ${config.port}`)
    }
    return info(existing, paths, true)
  }
  if (existing) await rm(paths.recordFile, {force: true})

  for (const candidate of [config.port, config.controllerPort]) {
    if (await isPortOpen(config.host, candidate)) throw portInUse(config, candidate, root)
  }
  const libs = await prepareBrokerFiles(paths, config, options, logger)
  const logOffset = sizeOf(paths.logFile)
  const child = spawnBroker(libs, paths, options.heapMb ?? 512)
  const record = await recordStartedBroker(child, paths, config, logger, 'broker')
  await awaitReady(child, record, paths, logOffset, timeoutMs)
  return info(record, paths, false)
}

/** The jars, folders and property files the broker starts from; the storage formatted on first use. */
async function prepareBrokerFiles(
  paths: BrokerPaths,
  config: ResolvedBrokerConfig,
  options: LocalBrokerOptions,
  logger: Logger,
): Promise<string> {
  const libs = await ensureKafkaJars({logger, cacheRoot: options.cacheRoot})
  await mkdir(paths.logsDir, {recursive: true})
  await mkdir(paths.dataDir, {recursive: true})
  // Regenerated every start: the data folder does not depend on ports, so a change of --port just works.
  await writeFile(paths.serverProperties, serverProperties(config))
  await writeFile(paths.log4j2Properties, log4j2Properties(config))
  await formatIfNeeded(libs, paths, logger)
  return libs
}

/** Writes the record of a spawned broker (so `etl kafka stop` finds it), or fails when java did not start. */
export async function recordStartedBroker(
  child: SpawnedBroker,
  paths: BrokerPaths,
  config: ResolvedBrokerConfig,
  logger: Logger,
  what: string,
): Promise<BrokerRecord> {
  if (child.pid === undefined) {
    await new Promise((resolve) => setImmediate(resolve)) // the spawn error arrives asynchronously
    throw new EtlError('ETL_BROKER_SETUP', `Could not start java: ${child.state.exit ?? 'unknown error'}`)
  }
  const record: BrokerRecord = {
    pid: child.pid,
    host: config.host,
    port: config.port,
    controllerPort: config.controllerPort,
    version: KAFKA_VERSION,
    startedAt: new Date().toISOString(),
  }
  await writeFile(paths.recordFile, JSON.stringify(record, null, 2) + '\n')
  logger.info(`starting Kafka ${KAFKA_VERSION} ${what}`, {brokers: `${config.host}:${config.port}`, pid: record.pid})
  return record
}

/**
 * Waits until the broker serves clients. The port alone opens before the broker has joined its own quorum; the log
 * line alone comes before the leaders of existing topics are back (see broker-ready.ts). Ready means all three.
 */
export async function awaitReady(
  child: SpawnedBroker,
  record: BrokerRecord,
  paths: BrokerPaths,
  logOffset: number,
  timeoutMs: number,
): Promise<void> {
  const brokers = `${record.host}:${record.port}`
  const deadline = Date.now() + timeoutMs
  for (let attempt = 1; ; attempt++) {
    const {exit} = child.state
    if (exit !== undefined || isGone(record.pid)) {
      throw await startFailure(paths, record.pid, logOffset, `exited during start-up (${exit ?? 'no exit code'})`)
    }
    const started = readFrom(paths.logFile, logOffset).includes(STARTED_LINE)
    if (started && (await isPortOpen(record.host, record.port)) && (await topicsServe(brokers))) return
    if (Date.now() > deadline) {
      const why = `did not become ready within ${Math.round(timeoutMs / 1000)} s and was stopped`
      throw await startFailure(paths, record.pid, logOffset, why)
    }
    await sleep(backoffDelay(attempt, {initialDelayMs: 100, maxDelayMs: 1000}))
  }
}

/** Stops this state folder's broker: SIGTERM for a clean shutdown, SIGKILL if it is still there after ~20 s. */
export async function stopLocalBroker(options: LocalBrokerOptions = {}): Promise<LocalBrokerStopResult> {
  const logger = options.logger ?? createLogger('kafka-local')
  return stopBrokerAt(localBrokerPaths(options.stateDir ?? defaultStateDir()), logger, 'broker')
}

/** Stops the broker JVM recorded in paths (SIGTERM, then SIGKILL after ~20 s); `what` names it in messages. */
export async function stopBrokerAt(paths: BrokerPaths, logger: Logger, what: string): Promise<LocalBrokerStopResult> {
  const record = readRecord(paths)
  if (!record || !isOurBroker(record.pid, paths)) {
    await rm(paths.recordFile, {force: true})
    return {wasRunning: false, forced: false}
  }
  logger.info(`stopping the local Kafka ${what}`, {pid: record.pid})
  signalGroup(record.pid, 'SIGTERM')
  let forced = false
  if (!(await waitGone(record.pid, STOP_GRACE_MS))) {
    logger.warn(`the ${what} did not stop within ${STOP_GRACE_MS / 1000} s; killing it`, {pid: record.pid})
    forced = true
    signalGroup(record.pid, 'SIGKILL')
    if (!(await waitGone(record.pid, 10_000))) {
      const message = `The local Kafka ${what} (pid ${record.pid}) survived SIGKILL; stop it by hand.`
      throw new EtlError('ETL_BROKER_SETUP', message)
    }
  }
  await waitReaped(record.pid)
  await forgetBroker(paths, record.pid)
  return {wasRunning: true, pid: record.pid, forced}
}

/** Whether this state folder's broker is alive and accepting connections. */
export async function localBrokerStatus(options: LocalBrokerOptions = {}): Promise<LocalBrokerStatus> {
  const paths = localBrokerPaths(options.stateDir ?? defaultStateDir())
  const base = {logFile: paths.logFile, dataDir: paths.dataDir}
  const record = readRecord(paths)
  if (!record || !isOurBroker(record.pid, paths)) return {running: false, ...base}
  const running = await isPortOpen(record.host, record.port)
  return {running, pid: record.pid, brokers: `${record.host}:${record.port}`, startedAt: record.startedAt, ...base}
}
