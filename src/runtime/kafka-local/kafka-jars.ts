/**
 * The Kafka broker jars, fetched once from Maven Central into the per-user cache. There is no Docker engine on the
 * machines we target, and Kafka's .tgz is not on Maven Central, so Maven resolves the broker and its runtime deps.
 */
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {mkdir, readdir, rename, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {EtlError} from '../errors.js'
import {createLogger, type Logger} from '../logger.js'
import {cacheDir} from '../paths.js'
import {sleep} from '../retry.js'

// kafka-tools 4.2.2 is not on Maven Central, so the broker and its tools stay on the same release that is.
export const KAFKA_VERSION = '4.2.1'
export const LOG4J_VERSION = '2.25.3'
/** Kafka 4 brokers need Java 17 or newer. */
export const MIN_JAVA_MAJOR = 17

const MARKER = '.complete'
const LOCK_STALE_MS = 15 * 60_000
const LOCK_WAIT_MS = 20 * 60_000

export interface KafkaJarsOptions {
  logger?: Logger
  /** Replaces cacheDir() (tests). */
  cacheRoot?: string
}

/** The folder that holds this Kafka release's jars and the pom that fetched them. */
export function kafkaHome(cacheRoot: string = cacheDir()): string {
  return join(cacheRoot, `kafka-${KAFKA_VERSION}`)
}

/** The java to run: $JAVA_HOME/bin/java when set (what Kafka's own scripts do), else java on the PATH. */
export function javaCommand(env: NodeJS.ProcessEnv = process.env): string {
  const fromHome = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : undefined
  return fromHome && existsSync(fromHome) ? fromHome : 'java'
}

export function pomXml(): string {
  const dep = (group: string, artifact: string, version: string) =>
    `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId>` +
    `<version>${version}</version></dependency>`
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>etl.local</groupId>',
    `  <artifactId>kafka-broker-jars</artifactId>`,
    `  <version>${KAFKA_VERSION}</version>`,
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    dep('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION),
    dep('org.apache.kafka', 'kafka-tools', KAFKA_VERSION),
    // The broker logs through SLF4J 1.x but Maven Central's kafka jars ship no binding (the .tgz adds one).
    dep('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION),
    dep('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION),
    dep('org.apache.logging.log4j', 'log4j-api', LOG4J_VERSION),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n')
}

/** Parses the major version from `java -version` output ("17.0.15", "1.8.0_392", "21"). */
export function javaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput)
  if (!match) return undefined
  const first = Number(match[1])
  return first === 1 && match[2] ? Number(match[2]) : first
}

/** Throws ETL_BROKER_SETUP with what to install when java is missing or too old. */
export function checkJava(java: string = javaCommand()): void {
  const result = spawnSync(java, ['-version'], {encoding: 'utf8'})
  if (result.error) {
    throw new EtlError(
      'ETL_BROKER_SETUP',
      `Java ${MIN_JAVA_MAJOR}+ is needed to run the local Kafka broker, but "${java}" could not be run ` +
        `(${result.error.message}). Install a JDK (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME, ` +
        'or point etl at an existing broker with KAFKA_BROKERS.',
      {cause: result.error},
    )
  }
  const major = javaMajor(`${result.stderr}${result.stdout}`)
  if (major !== undefined && major < MIN_JAVA_MAJOR) {
    throw new EtlError(
      'ETL_BROKER_SETUP',
      `Kafka ${KAFKA_VERSION} needs Java ${MIN_JAVA_MAJOR}+, but "${java}" is Java ${major}. ` +
        'Install a newer JDK or set JAVA_HOME to one.',
    )
  }
}

function checkMaven(): void {
  const result = spawnSync('mvn', ['-v'], {encoding: 'utf8'})
  if (result.error || result.status !== 0) {
    throw new EtlError(
      'ETL_BROKER_SETUP',
      'Maven (mvn) is needed once to fetch the Kafka broker jars from Maven Central, but it could not be run' +
        `${result.error ? ` (${result.error.message})` : ''}. Install it (e.g. apt-get install maven), ` +
        'or point etl at an existing broker with KAFKA_BROKERS.',
      {cause: result.error},
    )
  }
}

function isReady(libs: string): boolean {
  return existsSync(join(libs, MARKER))
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * A lock directory: mkdir is atomic on every filesystem we care about, so exactly one process fetches while the
 * others wait. A lock whose owner died (or that is far older than any download) is taken over.
 */
async function withLock<T>(lockDir: string, logger: Logger, work: () => Promise<T>): Promise<T> {
  const owner = join(lockDir, 'owner.json')
  const deadline = Date.now() + LOCK_WAIT_MS
  let announced = false
  for (;;) {
    try {
      await mkdir(lockDir)
      await writeFile(owner, JSON.stringify({pid: process.pid, at: new Date().toISOString()}))
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    if (await lockIsStale(lockDir, owner)) {
      logger.warn('taking over a stale Kafka jar download lock', {lock: lockDir})
      // Rename first: of several waiters that judged it stale, only one moves it away; the rest just retry mkdir.
      const doomed = `${lockDir}.stale-${process.pid}-${Date.now()}`
      await rename(lockDir, doomed).catch(() => undefined)
      await rm(doomed, {recursive: true, force: true})
      continue
    }
    if (Date.now() > deadline) {
      throw new EtlError(
        'ETL_BROKER_SETUP',
        `Timed out waiting for another process to finish fetching the Kafka jars (lock ${lockDir}). ` +
          'If no other etl is running, delete that folder.',
      )
    }
    if (!announced) logger.info('waiting for another process that is fetching the Kafka jars', {lock: lockDir})
    announced = true
    await sleep(500)
  }
  try {
    return await work()
  } finally {
    await rm(lockDir, {recursive: true, force: true})
  }
}

async function lockIsStale(lockDir: string, owner: string): Promise<boolean> {
  try {
    const info = JSON.parse(readFileSync(owner, 'utf8')) as {pid?: number}
    if (typeof info.pid === 'number' && !pidAlive(info.pid)) return true
  } catch {
    // The owner file is written just after mkdir; judge a lock without it by its age alone.
  }
  try {
    return Date.now() - (await stat(lockDir)).mtimeMs > LOCK_STALE_MS
  } catch {
    return false
  }
}

function runMaven(pom: string, outDir: string): Promise<void> {
  const goal = ['dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${outDir}`]
  const args = ['-q', '-B', '-f', pom, ...goal]
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, {stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.on('error', (error) => {
      reject(new EtlError('ETL_BROKER_SETUP', `Could not run mvn: ${error.message}`, {cause: error}))
    })
    child.on('close', (code) => {
      if (code === 0) return resolve()
      const tail = output.trim().split('\n').slice(-20).join('\n')
      const message = `mvn failed (exit ${code}) fetching Kafka ${KAFKA_VERSION} jars from Maven Central:\n${tail}`
      reject(new EtlError('ETL_BROKER_SETUP', message))
    })
  })
}

/** Returns the folder with every jar the broker needs, fetching them first if this machine has none yet. */
export async function ensureKafkaJars(options: KafkaJarsOptions = {}): Promise<string> {
  const logger = options.logger ?? createLogger('kafka-jars')
  const home = kafkaHome(options.cacheRoot)
  const libs = join(home, 'libs')
  checkJava()
  if (isReady(libs)) return libs

  checkMaven()
  await mkdir(home, {recursive: true})
  return withLock(join(home, '.lock'), logger, async () => {
    // Another process may have finished while we waited for the lock.
    if (isReady(libs)) return libs
    logger.info(`fetching Kafka ${KAFKA_VERSION} jars from Maven Central (once, ~55 MB) into ${libs}`)
    const pom = join(home, 'pom.xml')
    await writeFile(pom, pomXml())
    const tmp = join(home, `libs.tmp-${process.pid}-${Date.now()}`)
    try {
      await runMaven(pom, tmp)
      const jars = (await readdir(tmp)).filter((name) => name.endsWith('.jar'))
      if (!jars.some((name) => name.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
        throw new EtlError('ETL_BROKER_SETUP', `mvn finished but ${tmp} holds no kafka_2.13-${KAFKA_VERSION} jar`)
      }
      // The marker goes in before the rename, so a folder named libs is always complete.
      const marker = {version: KAFKA_VERSION, jars: jars.length, at: new Date().toISOString()}
      await writeFile(join(tmp, MARKER), JSON.stringify(marker))
      // Should a stale-lock takeover ever let two fetches overlap, the first finished folder wins and stays in use.
      if (isReady(libs)) return libs
      // A libs folder without a marker is debris from an older, interrupted layout.
      await rm(libs, {recursive: true, force: true})
      await rename(tmp, libs)
      logger.info(`Kafka ${KAFKA_VERSION} jars ready`, {jars: jars.length, dir: libs})
      return libs
    } finally {
      await rm(tmp, {recursive: true, force: true})
    }
  })
}
