/**
 * A throwaway local Kafka cluster of real broker+controller JVMs (src/runtime/kafka-local/local-cluster.ts) on free
 * ports in a temp state folder, for tests of failover: kill a node, restart it, stop them all. Independent of the
 * global test broker, which keeps serving the other tests meanwhile.
 */
import {rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Kafka, logLevel, type Admin} from 'kafkajs'
import {createLogger} from '../../src/runtime/logger.js'
import {
  killClusterNode,
  localClusterStatus,
  startLocalCluster,
  stopLocalCluster,
  type LocalClusterInfo,
} from '../../src/runtime/kafka-local/local-cluster.js'
import {freePorts} from './global-broker.js'

/** Three JVMs share 2 cores with the tests: a small heap each, and time to start. */
const HEAP_MB = 384
const START_TIMEOUT_MS = 150_000

export class TestCluster {
  private constructor(
    readonly stateDir: string,
    readonly info: LocalClusterInfo,
    private readonly pids: Set<number>,
  ) {}

  static async start(nodes = 3): Promise<TestCluster> {
    const ports = await freePorts(2 * nodes)
    const nodePorts = Array.from({length: nodes}, (_, i) => ({port: ports[2 * i], controllerPort: ports[2 * i + 1]}))
    const stateDir = join(tmpdir(), `etl-test-cluster-${process.pid}-${ports[0]}`)
    await rm(stateDir, {recursive: true, force: true})
    const logger = createLogger('test-cluster', {level: 'warn'})
    const options = {stateDir, nodes, nodePorts, heapMb: HEAP_MB, startTimeoutMs: START_TIMEOUT_MS, logger}
    const info = await startLocalCluster(options)
    const cluster = new TestCluster(stateDir, info, new Set(info.nodes.map((n) => n.pid!)))
    // A crash or process.exit() skips the tests' stop(): never leave JVMs behind for the next run.
    process.once('exit', () => cluster.killAllNow())
    return cluster
  }

  get brokers(): string[] {
    return this.info.brokers.split(',')
  }

  /** A kafkajs admin of the test's own (not the code under test), for reading what the cluster holds. */
  async withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const kafka = new Kafka({clientId: 'etl-test-cluster', brokers: this.brokers, logLevel: logLevel.NOTHING})
    const admin = kafka.admin()
    await admin.connect()
    try {
      return await work(admin)
    } finally {
      await admin.disconnect()
    }
  }

  /** Signals one node (SIGKILL: a crash) and waits until its JVM is gone; returns its pid. */
  async kill(nodeId: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<number> {
    return killClusterNode(nodeId, signal, {stateDir: this.stateDir})
  }

  /** Starts the nodes that are down again (one after kill()); resolves once it serves clients. */
  async restart(nodeId: number): Promise<void> {
    const status = await localClusterStatus({stateDir: this.stateDir})
    if (status.nodes.find((n) => n.nodeId === nodeId)?.running) throw new Error(`node ${nodeId} is still running`)
    const logger = createLogger('test-cluster', {level: 'warn'})
    const nodePorts = this.info.nodes.map((n) => ({
      port: Number(n.brokers.split(':')[1]),
      controllerPort: n.controllerPort,
    }))
    const nodes = nodePorts.length
    const restarted = await startLocalCluster({
      stateDir: this.stateDir,
      nodes,
      nodePorts,
      heapMb: HEAP_MB,
      startTimeoutMs: START_TIMEOUT_MS,
      logger,
    })
    for (const node of restarted.nodes) if (node.pid) this.pids.add(node.pid)
  }

  /** The node leading most partitions of topic (the lowest id on a tie), with every node's count. */
  async busiestLeader(topic: string): Promise<{nodeId: number; counts: Map<number, number>}> {
    const metadata = await this.withAdmin((admin) => admin.fetchTopicMetadata({topics: [topic]}))
    const counts = new Map<number, number>()
    for (const partition of metadata.topics[0].partitions) {
      counts.set(partition.leader, (counts.get(partition.leader) ?? 0) + 1)
    }
    const [nodeId] = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]
    return {nodeId, counts}
  }

  /**
   * The node coordinating a consumer group: the leader of the group's partition of __consumer_offsets, which Kafka
   * picks as abs(Java's String.hashCode(groupId)) % the topic's partitions (GroupCoordinatorService#partitionFor).
   * The topic exists once some group has used the cluster.
   */
  async groupCoordinator(groupId: string): Promise<number> {
    const metadata = await this.withAdmin((admin) => admin.fetchTopicMetadata({topics: ['__consumer_offsets']}))
    const partitions = metadata.topics[0].partitions
    const hash = javaStringHash(groupId)
    const index = (hash === -(2 ** 31) ? 0 : Math.abs(hash)) % partitions.length
    return partitions.find((p) => p.partitionId === index)!.leader
  }

  /** Stops every node and deletes the state folder. */
  async stop(): Promise<void> {
    await stopLocalCluster({stateDir: this.stateDir, logger: createLogger('test-cluster', {level: 'error'})})
    this.pids.clear()
    await rm(this.stateDir, {recursive: true, force: true})
  }

  private killAllNow(): void {
    for (const pid of this.pids) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
  }
}

/** Java's String.hashCode: over UTF-16 code units, in 32-bit two's complement. */
function javaStringHash(text: string): number {
  let hash = 0
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0
  return hash
}
