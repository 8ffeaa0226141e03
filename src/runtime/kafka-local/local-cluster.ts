/**
 * A real multi-node Kafka cluster on one machine (`etl kafka start --nodes 3`): N combined broker+controller JVMs from
 * the same jars as the single local broker, each with its own folder under <state>/kafka/cluster/node-<id>, all
 * voters of one controller quorum. cluster.json remembers the cluster id and every node's ports; each node's
 * node.json its pid, exactly like the single broker's broker.json.
 */
import {readFileSync} from 'node:fs'
import {mkdir, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {EtlError} from '../errors.js'
import {createLogger, type Logger} from '../logger.js'
import {stateDir as defaultStateDir} from '../paths.js'
import {DEFAULT_HOST, DEFAULT_PORT, log4j2Properties, resolveBrokerConfig, serverProperties} from './broker-config.js'
import type {ClusterMembership, ResolvedBrokerConfig} from './broker-config.js'
import {isPortOpen, newClusterId, signalGroup, sizeOf, waitGone, waitReaped} from './broker-process.js'
import {ensureKafkaJars, KAFKA_VERSION} from './kafka-jars.js'
import {
  awaitReady,
  brokerPathsIn,
  formatIfNeeded,
  isOurBroker,
  readRecord,
  recordStartedBroker,
} from './local-broker.js'
import {spawnBroker, stopBrokerAt, type BrokerPaths, type LocalBrokerStopResult} from './local-broker.js'

export interface ClusterNodePorts {
  port: number
  controllerPort: number
}

export interface LocalClusterOptions {
  stateDir?: string
  /** How many nodes (2 or more; one node is the single local broker of local-broker.ts). */
  nodes: number
  /** Node i (1-based) listens on port + 2(i-1) for clients and the next port for its controller. Default 9092. */
  port?: number
  /** Explicit ports per node (tests on free ports); replaces `port`. */
  nodePorts?: ClusterNodePorts[]
  /** Each JVM's heap; three nodes of 512 MB fit a small machine. */
  heapMb?: number
  logger?: Logger
  startTimeoutMs?: number
  cacheRoot?: string
}

export interface ClusterNodeInfo {
  nodeId: number
  brokers: string
  controllerPort: number
  pid?: number
  running: boolean
  logFile: string
  dataDir: string
}

export interface LocalClusterInfo {
  /** Every node's client address, comma-separated: what KAFKA_BROKERS or --brokers take. */
  brokers: string
  clusterId: string
  nodes: ClusterNodeInfo[]
  /** Nodes that were running before this start (all of them: nothing was started). */
  alreadyRunning: number[]
}

interface ClusterRecord {
  clusterId: string
  host: string
  version: string
  nodes: Array<{nodeId: number} & ClusterNodePorts>
  createdAt: string
}

export function localClusterPaths(root: string = defaultStateDir()) {
  const dir = join(resolve(root), 'kafka', 'cluster')
  return {
    dir,
    recordFile: join(dir, 'cluster.json'),
    node: (nodeId: number): BrokerPaths => brokerPathsIn(join(dir, `node-${nodeId}`), 'node.json'),
  }
}
type ClusterPaths = ReturnType<typeof localClusterPaths>

export function readClusterRecord(paths: ClusterPaths): ClusterRecord | undefined {
  try {
    return JSON.parse(readFileSync(paths.recordFile, 'utf8')) as ClusterRecord
  } catch {
    return undefined
  }
}

/** Base port + offsets: node 1 on 9092/9093, node 2 on 9094/9095, node 3 on 9096/9097. */
export function clusterPorts(nodes: number, port = DEFAULT_PORT): ClusterNodePorts[] {
  return Array.from({length: nodes}, (_, i) => ({port: port + 2 * i, controllerPort: port + 2 * i + 1}))
}

function nodeConfig(record: ClusterRecord, nodeId: number, paths: BrokerPaths): ResolvedBrokerConfig {
  const node = record.nodes.find((n) => n.nodeId === nodeId)!
  const {dataDir, logsDir} = paths
  return resolveBrokerConfig({dataDir, logsDir, host: record.host, ...node})
}

function membership(record: ClusterRecord, nodeId: number): ClusterMembership {
  const voters = record.nodes.map((n) => ({nodeId: n.nodeId, host: record.host, controllerPort: n.controllerPort}))
  return {nodeId, voters}
}

function runningPid(paths: BrokerPaths): number | undefined {
  const record = readRecord(paths)
  return record && isOurBroker(record.pid, paths) ? record.pid : undefined
}

/**
 * The cluster's record. While any node runs it stays as it is (a restarted node must rejoin the same voters). A
 * stopped cluster keeps its id (its data folders are formatted with it) and takes the ports asked for this start:
 * static voters make a change of ports safe.
 */
async function clusterRecord(paths: ClusterPaths, options: LocalClusterOptions, logger: Logger) {
  const asked = options.nodePorts ?? clusterPorts(options.nodes, options.port)
  if (asked.length !== options.nodes) {
    throw new EtlError(
      'ETL_BROKER_SETUP',
      `${options.nodes} nodes need ${options.nodes} port pairs, not ${asked.length}`,
    )
  }
  const existing = readClusterRecord(paths)
  if (existing && existing.nodes.length !== options.nodes) {
    throw new EtlError(
      'ETL_BROKER_SETUP',
      `${paths.dir} holds a local cluster of ${existing.nodes.length} nodes, not ${options.nodes}: start it with ` +
        `--nodes ${existing.nodes.length}, or stop it and delete that folder (its topics with it) to start anew.`,
    )
  }
  if (existing?.nodes.some((n) => runningPid(paths.node(n.nodeId)) !== undefined)) return existing
  if (!existing) logger.info(`new local cluster of ${options.nodes} nodes`, {dir: paths.dir})
  return saveRecord(paths, {
    clusterId: existing?.clusterId ?? newClusterId(),
    host: DEFAULT_HOST,
    version: KAFKA_VERSION,
    nodes: withIds(asked),
    createdAt: existing?.createdAt ?? new Date().toISOString(),
  })
}

function withIds(ports: ClusterNodePorts[]) {
  return ports.map((p, i) => ({nodeId: i + 1, port: p.port, controllerPort: p.controllerPort}))
}

async function saveRecord(paths: ClusterPaths, record: ClusterRecord): Promise<ClusterRecord> {
  await mkdir(paths.dir, {recursive: true})
  await writeFile(paths.recordFile, JSON.stringify(record, null, 2) + '\n')
  return record
}

/**
 * Starts every node of the cluster that does not run yet (all of them at first; one after `killClusterNode`), and
 * resolves once each started node serves clients. The nodes start together: none finishes starting before a quorum of
 * controllers (2 of 3) has elected a leader.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalClusterInfo> {
  if (options.nodes < 2) throw new EtlError('ETL_BROKER_SETUP', 'a local cluster needs 2 or more nodes')
  const logger = options.logger ?? createLogger('kafka-local')
  const paths = localClusterPaths(options.stateDir)
  const record = await clusterRecord(paths, options, logger)
  const libs = await ensureKafkaJars({logger, cacheRoot: options.cacheRoot})
  const alreadyRunning = record.nodes.filter((n) => runningPid(paths.node(n.nodeId)) !== undefined).map((n) => n.nodeId)
  const toStart = record.nodes.filter((n) => !alreadyRunning.includes(n.nodeId))
  for (const node of toStart) {
    for (const port of [node.port, node.controllerPort]) {
      if (await isPortOpen(record.host, port)) {
        throw new EtlError(
          'ETL_BROKER_SETUP',
          `Port ${port} on ${record.host} (node ${node.nodeId} of the local cluster) is already in use by another ` +
            'program. Stop it, or choose other ports with --port.',
          {details: {port, nodeId: node.nodeId}},
        )
      }
    }
  }
  const timeoutMs = options.startTimeoutMs ?? 120_000
  const starts = toStart.map((n) => startNode(libs, paths, record, n.nodeId, options, logger))
  const settled = await Promise.allSettled(starts.map(async (s) => (await s)(timeoutMs)))
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failed) {
    await stopLocalCluster({stateDir: options.stateDir, logger}).catch(() => undefined)
    throw failed.reason
  }
  const status = await clusterNodes(paths, record)
  return {brokers: brokerList(record), clusterId: record.clusterId, nodes: status, alreadyRunning}
}

/** Writes the node's files, formats it on first use and spawns it; returns the wait for its readiness. */
async function startNode(
  libs: string,
  cluster: ClusterPaths,
  record: ClusterRecord,
  nodeId: number,
  options: LocalClusterOptions,
  logger: Logger,
): Promise<(timeoutMs: number) => Promise<void>> {
  const paths = cluster.node(nodeId)
  const config = nodeConfig(record, nodeId, paths)
  await mkdir(paths.logsDir, {recursive: true})
  await mkdir(paths.dataDir, {recursive: true})
  await writeFile(paths.serverProperties, serverProperties({...config, cluster: membership(record, nodeId)}))
  await writeFile(paths.log4j2Properties, log4j2Properties(config))
  await formatIfNeeded(libs, paths, logger, record.clusterId)
  const logOffset = sizeOf(paths.logFile)
  const child = spawnBroker(libs, paths, options.heapMb ?? 512)
  const started = await recordStartedBroker(child, paths, config, logger, `cluster node ${nodeId}`)
  return (timeoutMs) => awaitReady(child, started, paths, logOffset, timeoutMs)
}

function brokerList(record: ClusterRecord): string {
  return record.nodes.map((n) => `${record.host}:${n.port}`).join(',')
}

async function clusterNodes(paths: ClusterPaths, record: ClusterRecord): Promise<ClusterNodeInfo[]> {
  return Promise.all(
    record.nodes.map(async (n) => {
      const nodePaths = paths.node(n.nodeId)
      const pid = runningPid(nodePaths)
      const running = pid !== undefined && (await isPortOpen(record.host, n.port))
      const {logFile, dataDir} = nodePaths
      return {
        nodeId: n.nodeId,
        brokers: `${record.host}:${n.port}`,
        controllerPort: n.controllerPort,
        pid,
        running,
        logFile,
        dataDir,
      }
    }),
  )
}

export interface LocalClusterStatus {
  /** False when this state folder has no cluster (never started, or its record is gone). */
  exists: boolean
  brokers?: string
  clusterId?: string
  nodes: ClusterNodeInfo[]
}

/** Every node of this state folder's cluster, running or not (the controller is asked of the cluster itself). */
export async function localClusterStatus(options: {stateDir?: string} = {}): Promise<LocalClusterStatus> {
  const paths = localClusterPaths(options.stateDir)
  const record = readClusterRecord(paths)
  if (!record) return {exists: false, nodes: []}
  return {
    exists: true,
    brokers: brokerList(record),
    clusterId: record.clusterId,
    nodes: await clusterNodes(paths, record),
  }
}

export interface LocalClusterStopResult {
  nodes: Array<{nodeId: number} & LocalBrokerStopResult>
}

/** Stops every node at once (SIGTERM; SIGKILL for one that does not stop within ~20 s). Data is kept. */
export async function stopLocalCluster(
  options: {stateDir?: string; logger?: Logger} = {},
): Promise<LocalClusterStopResult> {
  const logger = options.logger ?? createLogger('kafka-local')
  const paths = localClusterPaths(options.stateDir)
  const record = readClusterRecord(paths)
  if (!record) return {nodes: []}
  const nodes = await Promise.all(
    record.nodes.map(async (n) => ({
      nodeId: n.nodeId,
      ...(await stopBrokerAt(paths.node(n.nodeId), logger, `cluster node ${n.nodeId}`)),
    })),
  )
  return {nodes}
}

/** Signals one node's JVM (SIGKILL: a crash, for failover tests) and waits until it is gone. */
export async function killClusterNode(
  nodeId: number,
  signal: NodeJS.Signals,
  options: {stateDir?: string} = {},
): Promise<number> {
  const paths = localClusterPaths(options.stateDir).node(nodeId)
  const pid = runningPid(paths)
  if (pid === undefined) throw new EtlError('ETL_BROKER_SETUP', `node ${nodeId} of the local cluster is not running`)
  signalGroup(pid, signal)
  if (!(await waitGone(pid, 30_000))) {
    throw new EtlError('ETL_BROKER_SETUP', `node ${nodeId} (pid ${pid}) did not end after ${signal}`)
  }
  await waitReaped(pid)
  return pid
}
