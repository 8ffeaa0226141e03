import {expect} from 'chai'
import {existsSync, readFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Kafka, logLevel} from 'kafkajs'
import {EtlError} from '../../../src/runtime/errors.js'
import {createLogger} from '../../../src/runtime/logger.js'
import {
  isPortOpen,
  localBrokerPaths,
  localBrokerStatus,
  startLocalBroker,
  stopLocalBroker,
  type LocalBrokerInfo,
} from '../../../src/runtime/kafka-local/local-broker.js'
import {freePorts} from '../../support/global-broker.js'

const quiet = createLogger('test', {level: 'error'})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function clusterIdOf(dataDir: string): string | undefined {
  return /^cluster\.id=(.+)$/m.exec(readFileSync(join(dataDir, 'meta.properties'), 'utf8'))?.[1]
}

async function withAdmin<T>(brokers: string, work: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = new Kafka({clientId: 'etl-test', brokers: [brokers], logLevel: logLevel.NOTHING}).admin()
  await admin.connect()
  try {
    return await work(admin)
  } finally {
    await admin.disconnect()
  }
}

async function expectSetupError(promise: Promise<unknown>): Promise<EtlError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(EtlError)
    expect((error as EtlError).code).to.equal('ETL_BROKER_SETUP')
    return error as EtlError
  }
  throw new Error('expected ETL_BROKER_SETUP, but the call succeeded')
}

describe('local-broker (a second, real broker)', function () {
  this.timeout(120_000)
  const topic = 'etl-local-broker-test'
  let stateDir: string
  let port: number
  let controllerPort: number
  let first: LocalBrokerInfo

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-local-broker-'))
    ;[port, controllerPort] = await freePorts(2)
  })

  after(async () => {
    // Whatever failed above, leave no JVM behind.
    await stopLocalBroker({stateDir, logger: quiet})
    await rm(stateDir, {recursive: true, force: true})
  })

  it('starts a broker that status reports as running and kafkajs can use', async () => {
    first = await startLocalBroker({stateDir, port, controllerPort, logger: quiet})
    expect(first.alreadyRunning).to.equal(false)
    expect(first.brokers).to.equal(`127.0.0.1:${port}`)
    expect(alive(first.pid)).to.equal(true)
    expect(first.dataDir).to.equal(join(stateDir, 'kafka', 'data'))
    expect(existsSync(join(first.dataDir, 'meta.properties'))).to.equal(true)
    expect(readFileSync(first.logFile, 'utf8')).to.include('Kafka Server started')

    const status = await localBrokerStatus({stateDir})
    expect(status).to.include({running: true, pid: first.pid, brokers: first.brokers, logFile: first.logFile})

    const topics = await withAdmin(first.brokers, async (admin) => {
      await admin.createTopics({topics: [{topic, numPartitions: 2}], waitForLeaders: true})
      return admin.listTopics()
    })
    expect(topics).to.include(topic)
  })

  it('produces and consumes a record through kafkajs', async () => {
    const kafka = new Kafka({clientId: 'etl-test', brokers: [first.brokers], logLevel: logLevel.NOTHING})
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({topic, messages: [{key: 'btc', value: 'hello from the local broker'}]})
    await producer.disconnect()

    const consumer = kafka.consumer({groupId: `etl-test-${Date.now()}`})
    await consumer.connect()
    await consumer.subscribe({topic, fromBeginning: true})
    const value = await new Promise<string>((resolve, reject) => {
      consumer.run({eachMessage: async ({message}) => resolve(String(message.value))}).catch(reject)
    })
    await consumer.disconnect()
    expect(value).to.equal('hello from the local broker')
  })

  it('returns the running broker when started again', async () => {
    const again = await startLocalBroker({stateDir, port, controllerPort, logger: quiet})
    expect(again).to.deep.equal({...first, alreadyRunning: true})
  })

  it('stops the broker: no process left, port closed, record removed', async () => {
    const result = await stopLocalBroker({stateDir, logger: quiet})
    expect(result).to.deep.equal({wasRunning: true, pid: first.pid, forced: false})
    expect(alive(first.pid)).to.equal(false)
    expect(await isPortOpen('127.0.0.1', port, 1000)).to.equal(false)
    expect(existsSync(localBrokerPaths(stateDir).recordFile)).to.equal(false)
    expect((await localBrokerStatus({stateDir})).running).to.equal(false)
    expect(await stopLocalBroker({stateDir, logger: quiet})).to.deep.equal({wasRunning: false, forced: false})
  })

  it('restarts on the same data folder, keeping the cluster and the topic', async () => {
    const clusterId = clusterIdOf(first.dataDir)
    const second = await startLocalBroker({stateDir, port, controllerPort, logger: quiet})
    expect(second.alreadyRunning).to.equal(false)
    expect(second.pid).to.not.equal(first.pid)
    expect(clusterIdOf(second.dataDir)).to.equal(clusterId)
    expect(await withAdmin(second.brokers, (admin) => admin.listTopics())).to.include(topic)
    await stopLocalBroker({stateDir, logger: quiet})
    expect(alive(second.pid)).to.equal(false)
  })

  it('restarts on other ports with a data folder formatted for the old ones', async () => {
    const [newPort, newControllerPort] = await freePorts(2)
    const moved = await startLocalBroker({stateDir, port: newPort, controllerPort: newControllerPort, logger: quiet})
    expect(moved.brokers).to.equal(`127.0.0.1:${newPort}`)
    const offsets = await withAdmin(moved.brokers, (admin) => admin.fetchTopicOffsets(topic))
    expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).to.equal(1)
    await stopLocalBroker({stateDir, logger: quiet})
    expect(alive(moved.pid)).to.equal(false)
    expect(await isPortOpen('127.0.0.1', newPort, 1000)).to.equal(false)
  })
})

describe('local-broker start failures', function () {
  this.timeout(120_000)
  let stateDir: string

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-local-broker-fail-'))
  })

  afterEach(async () => {
    await stopLocalBroker({stateDir, logger: quiet})
    await rm(stateDir, {recursive: true, force: true})
  })

  it('refuses a port another program listens on, naming the port', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const {port} = server.address() as {port: number}
    try {
      const error = await expectSetupError(startLocalBroker({stateDir, port, logger: quiet}))
      expect(error.message).to.include(`Port ${port} on 127.0.0.1 is already in use`)
      expect(error.message).to.include('--port')
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
    expect(existsSync(localBrokerPaths(stateDir).recordFile)).to.equal(false)
  })

  it('reports a JVM that dies during start-up with the log path and its last lines', async () => {
    const [port, controllerPort] = await freePorts(2)
    // A heap no machine has: the JVM exits at once, the way a broken install or a bad JVM option would.
    const start = startLocalBroker({stateDir, port, controllerPort, heapMb: 1024 * 1024 * 1024, logger: quiet})
    const error = await expectSetupError(start)
    const paths = localBrokerPaths(stateDir)
    expect(error.message).to.include('exited during start-up')
    expect(error.message).to.include(paths.logFile)
    expect(error.message).to.match(/heap/i)
    const pid = error.details?.pid as number
    expect(pid).to.be.a('number')
    expect(alive(pid)).to.equal(false)
    expect(existsSync(paths.recordFile)).to.equal(false)
  })
})
