/**
 * Mocha global fixture: one real Kafka broker for the whole test run, so integration tests need no Docker and no
 * broker of the developer's. Set KAFKA_BROKERS to test against a broker of your own instead.
 */
import {rm} from 'node:fs/promises'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createLogger} from '../../src/runtime/logger.js'
import {ensureKafkaJars} from '../../src/runtime/kafka-local/kafka-jars.js'
import {startLocalBroker, stopLocalBroker} from '../../src/runtime/kafka-local/local-broker.js'

// kafkajs warns about its partitioner change on every producer; tests and the CLIs they spawn inherit this.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1'

let started: {stateDir: string; pid: number} | undefined

/** Ports nobody listens on right now: the OS picks them, and holding all at once keeps them distinct. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = []
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer()
      servers.push(server)
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, '127.0.0.1', resolve)
      })
    }
    return servers.map((server) => (server.address() as {port: number}).port)
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  }
}

/** The brokers every Kafka test should use. */
export function testBrokers(): string[] {
  const value = process.env.KAFKA_BROKERS
  if (!value) throw new Error('KAFKA_BROKERS is not set: run mocha with --require test/support/global-broker.ts')
  return value
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean)
}

/**
 * The state folder of the broker this fixture started, or undefined when KAFKA_BROKERS pointed elsewhere. Read from
 * the environment because mocha's parallel workers do not share this module's memory with the fixture.
 */
export function testBrokerStateDir(): string | undefined {
  return process.env.ETL_TEST_BROKER_STATE_DIR || undefined
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export async function mochaGlobalSetup(): Promise<void> {
  if (process.env.KAFKA_BROKERS) {
    process.stderr.write(`[test-broker] using KAFKA_BROKERS=${process.env.KAFKA_BROKERS} (no local broker started)\n`)
    return
  }
  await ensureKafkaJars({logger: createLogger('test-broker')})
  const [port, controllerPort] = await freePorts(2)
  const stateDir = join(tmpdir(), `etl-test-broker-${process.pid}`)
  await rm(stateDir, {recursive: true, force: true})
  const logger = createLogger('test-broker', {level: 'warn'})
  const broker = await startLocalBroker({stateDir, port, controllerPort, logger})
  started = {stateDir, pid: broker.pid}
  // A crash or process.exit() skips the teardown; never leave a JVM behind for the next run to trip over.
  process.once('exit', () => {
    if (started) {
      try {
        process.kill(-started.pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
  })
  process.env.KAFKA_BROKERS = broker.brokers
  process.env.ETL_TEST_BROKER_STATE_DIR = stateDir
  process.stderr.write(`[test-broker] Kafka broker at ${broker.brokers} (pid ${broker.pid}, log ${broker.logFile})\n`)
}

export async function mochaGlobalTeardown(): Promise<void> {
  if (!started) return
  const {stateDir, pid} = started
  try {
    await stopLocalBroker({stateDir, logger: createLogger('test-broker', {level: 'warn'})})
    if (alive(pid)) throw new Error(`the test broker (pid ${pid}) is still running after stop`)
    started = undefined
  } finally {
    delete process.env.KAFKA_BROKERS
    delete process.env.ETL_TEST_BROKER_STATE_DIR
    await rm(stateDir, {recursive: true, force: true})
  }
}
