/**
 * End to end: `etl kafka start --nodes 3` (the built CLI) starts a real three-node KRaft cluster, `status` shows each
 * node and the active controller as the cluster itself says, and `stop` leaves no JVM behind.
 */
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Kafka, logLevel} from 'kafkajs'
import {buildCli, runEtl} from '../../support/run-cli.js'

interface NodeJson {
  nodeId: number
  brokers: string
  controllerPort: number
  pid?: number
  running: boolean
  logFile: string
  dataDir: string
}

function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** A base port whose next five ports are free too: the cluster takes base + 0…5. */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + 2 * Math.floor(Math.random() * 10_000)
    const all = await Promise.all([0, 1, 2, 3, 4, 5].map((offset) => listens(base + offset)))
    if (all.every(Boolean)) return base
  }
  throw new Error('no 6 consecutive free ports found')
}

/** JVMs whose command line names this state folder: what "no JVM behind" is checked with (pgrep, as a user would). */
function jvmsOf(stateDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', `kafka.Kafka ${stateDir}`], {encoding: 'utf8'})
      .trim()
      .split('\n')
      .filter(Boolean)
  } catch {
    return [] // pgrep exits 1 when nothing matches
  }
}

describe('etl kafka start --nodes 3 / status / stop (end to end, three real brokers)', function () {
  this.timeout(300_000)
  let stateDir: string

  before(buildCli)

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-e2e-kafka-cluster-'))
  })

  afterEach(async () => {
    await runEtl(['kafka', 'stop', '--state-dir', stateDir])
    await rm(stateDir, {recursive: true, force: true})
  })

  const title = 'starts three nodes with replicated internal topics, shows each and the controller, and stops them all'
  it(title, async () => {
    const base = await freeBase()
    const etl = (...args: string[]) => runEtl(['kafka', ...args, '--state-dir', stateDir])
    const started = await etl('start', '--nodes', '3', '--port', String(base), '--heap-mb', '384', '--json')
    expect(started.code, started.stderr).to.equal(0)
    const info = JSON.parse(started.stdout) as {brokers: string; nodes: NodeJson[]; alreadyRunning: number[]}
    const brokers = [0, 2, 4].map((offset) => `127.0.0.1:${base + offset}`)
    expect(info.brokers).to.equal(brokers.join(','))
    expect(info.alreadyRunning).to.deep.equal([])
    expect(info.nodes.map((n) => [n.nodeId, n.brokers, n.controllerPort, n.running])).to.deep.equal([
      [1, brokers[0], base + 1, true],
      [2, brokers[1], base + 3, true],
      [3, brokers[2], base + 5, true],
    ])
    // Each node has a folder of its own, formatted with the one cluster id.
    const clusterIds = info.nodes.map(
      (n) => /^cluster\.id=(.+)$/m.exec(readFileSync(join(n.dataDir, 'meta.properties'), 'utf8'))?.[1],
    )
    expect(new Set(clusterIds).size).to.equal(1)
    expect(new Set(info.nodes.map((n) => n.dataDir)).size).to.equal(3)
    for (const node of info.nodes) expect(existsSync(node.logFile), node.logFile).to.equal(true)
    expect(jvmsOf(stateDir)).to.have.length(3)

    // The cluster itself: three brokers; a transactional write (needs __transaction_state at min.insync.replicas 2)
    // and a topic created with the cluster's default replication factor of 3.
    const kafka = new Kafka({clientId: 'etl-test', brokers, logLevel: logLevel.NOTHING})
    const admin = kafka.admin()
    await admin.connect()
    try {
      expect((await admin.describeCluster()).brokers.map((b) => b.nodeId).sort()).to.deep.equal([1, 2, 3])
      await admin.createTopics({topics: [{topic: 'replicated', numPartitions: 3}], waitForLeaders: true})
      const [topic] = (await admin.fetchTopicMetadata({topics: ['replicated']})).topics
      expect(topic.partitions.map((p) => p.replicas.length)).to.deep.equal([3, 3, 3])
      const producer = kafka.producer({transactionalId: 'etl-test-cluster', idempotent: true, maxInFlightRequests: 1})
      await producer.connect()
      const transaction = await producer.transaction()
      await transaction.send({topic: 'replicated', acks: -1, messages: [{key: 'k', value: 'v'}]})
      await transaction.commit()
      await producer.disconnect()
      const [internal] = (await admin.fetchTopicMetadata({topics: ['__transaction_state']})).topics
      expect(internal.partitions.every((p) => p.replicas.length === 3)).to.equal(true)
      const configs = await admin.describeConfigs({
        resources: [{type: 2, name: 'replicated', configNames: ['min.insync.replicas']}],
        includeSynonyms: false,
      })
      expect(configs.resources[0].configEntries[0].configValue).to.equal('2')
    } finally {
      await admin.disconnect()
    }

    const status = await etl('status', '--json')
    expect(status.code, status.stderr).to.equal(0)
    const shown = JSON.parse(status.stdout) as {running: boolean; controller: number; nodes: NodeJson[]}
    expect(shown.running).to.equal(true)
    expect(shown.nodes.map((n) => [n.nodeId, n.pid, n.running])).to.deep.equal(
      info.nodes.map((n) => [n.nodeId, n.pid, true]),
    )
    // The active controller, as the node logs it when it takes over (the last such line of any node's log).
    const takeovers = info.nodes.flatMap((n) =>
      [
        ...readFileSync(n.logFile, 'utf8').matchAll(
          /^\[([^\]]+)\] INFO \[QuorumController id=(\d)\] Becoming the active controller/gm,
        ),
      ].map((m) => ({at: m[1], id: Number(m[2])})),
    )
    const latest = takeovers.sort((a, b) => a.at.localeCompare(b.at)).at(-1)
    expect(shown.controller).to.equal(latest?.id)
    const text = await etl('status')
    expect(text.stdout).to.include(`3 of 3 nodes running, active controller: node ${shown.controller}`)
    for (const node of info.nodes)
      expect(text.stdout).to.include(`node ${node.nodeId}: ${node.brokers} running (pid ${node.pid})`)

    const stopped = await etl('stop', '--json')
    expect(stopped.code, stopped.stderr).to.equal(0)
    const result = JSON.parse(stopped.stdout) as {
      wasRunning: boolean
      nodes: Array<{nodeId: number; wasRunning: boolean}>
    }
    expect(result.wasRunning).to.equal(true)
    expect(result.nodes.map((n) => [n.nodeId, n.wasRunning])).to.deep.equal([
      [1, true],
      [2, true],
      [3, true],
    ])
    expect(jvmsOf(stateDir), 'JVMs left after stop').to.deep.equal([])

    const after = await etl('status', '--json')
    expect(after.code).to.equal(1)
    const down = JSON.parse(after.stdout) as {running: boolean; nodes: NodeJson[]}
    expect(down.running).to.equal(false)
    expect(down.nodes.map((n) => n.running)).to.deep.equal([false, false, false])
  })
})
