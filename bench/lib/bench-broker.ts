/**
 * The benchmark's own Kafka broker: the project's local broker on free ports with a throwaway data folder, so the
 * figures never depend on (or disturb) a broker somebody else runs, and every section measures the same broker.
 */
import {rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createLogger} from '../../src/runtime/logger.js'
import {ensureKafkaJars} from '../../src/runtime/kafka-local/kafka-jars.js'
import {startLocalBroker, stopLocalBroker} from '../../src/runtime/kafka-local/local-broker.js'
import {freePorts} from '../../test/support/global-broker.js'

export interface BenchBroker {
  brokers: string
  pid: number
  /** The Kafka jars (broker and kafka-tools), for ProducerPerformance and ConsumerPerformance. */
  libs: string
  stop(): Promise<void>
}

export async function startBenchBroker(): Promise<BenchBroker> {
  const logger = createLogger('bench-broker', {level: 'warn'})
  const libs = await ensureKafkaJars({logger})
  const [port, controllerPort] = await freePorts(2)
  const stateDir = join(tmpdir(), `etl-bench-broker-${process.pid}`)
  await rm(stateDir, {recursive: true, force: true})
  const broker = await startLocalBroker({stateDir, port, controllerPort, logger})
  // A crash or a second Ctrl-C skips the orderly stop below; never leave a JVM behind.
  const killOnExit = () => {
    try {
      process.kill(-broker.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  process.once('exit', killOnExit)
  let stopped = false
  return {
    brokers: broker.brokers,
    pid: broker.pid,
    libs,
    async stop() {
      if (stopped) return
      stopped = true
      try {
        await stopLocalBroker({stateDir, logger})
      } catch (error) {
        killOnExit()
        throw error
      } finally {
        process.removeListener('exit', killOnExit)
        await rm(stateDir, {recursive: true, force: true})
      }
    },
  }
}
