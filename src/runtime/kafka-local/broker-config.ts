/**
 * The text of the two files the local broker reads at start-up. Pure functions, regenerated on every start so a
 * change of ports or folders never leaves a stale config behind.
 */

export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_PORT = 9092

export interface BrokerConfigOptions {
  /** Folder for the KRaft metadata and topic logs (Kafka's log.dirs). */
  dataDir: string
  /** Folder for the broker's own log files. */
  logsDir: string
  host?: string
  port?: number
  /** Defaults to port + 1. */
  controllerPort?: number
  numPartitions?: number
  /** Set for one node of a multi-node cluster (local-cluster.ts); absent for the single local broker. */
  cluster?: ClusterMembership
}

/** Where a node sits in a cluster of combined broker+controller nodes. */
export interface ClusterMembership {
  nodeId: number
  /** Every node's controller address, this one's included. */
  voters: Array<{nodeId: number; host: string; controllerPort: number}>
}

/**
 * Replication of internal topics and the defaults for new topics: three copies (or as many nodes as there are), and
 * writes with acks=all need two in sync, so one node may be down without stopping producers or transactions.
 */
export function replicationOf(nodes: number): {replicas: number; minInsync: number} {
  const replicas = Math.min(3, nodes)
  return {replicas, minInsync: replicas >= 3 ? 2 : 1}
}

export interface ResolvedBrokerConfig {
  dataDir: string
  logsDir: string
  host: string
  port: number
  controllerPort: number
  numPartitions: number
}

export function resolveBrokerConfig(options: BrokerConfigOptions): ResolvedBrokerConfig {
  const port = options.port ?? DEFAULT_PORT
  return {
    dataDir: options.dataDir,
    logsDir: options.logsDir,
    host: options.host ?? DEFAULT_HOST,
    port,
    controllerPort: options.controllerPort ?? port + 1,
    numPartitions: options.numPartitions ?? 3,
  }
}

/** Java .properties treats backslashes as escapes, so Windows paths must double them. */
function propertyValue(value: string | number): string {
  return String(value).replace(/\\/g, '\\\\')
}

function render(entries: Array<[string, string | number] | string>): string {
  const lines = entries.map((entry) => (typeof entry === 'string' ? entry : `${entry[0]}=${propertyValue(entry[1])}`))
  return lines.join('\n') + '\n'
}

/**
 * A KRaft node that is both broker and controller: the single local broker, or (with `cluster`) one node of a local
 * cluster whose every node is a voter of the controller quorum.
 */
export function serverProperties(options: BrokerConfigOptions): string {
  const c = resolveBrokerConfig(options)
  const plaintext = `PLAINTEXT://${c.host}:${c.port}`
  const controller = `CONTROLLER://${c.host}:${c.controllerPort}`
  const voters = options.cluster?.voters ?? [{nodeId: 1, host: c.host, controllerPort: c.controllerPort}]
  const {replicas, minInsync} = replicationOf(voters.length)
  return render([
    '# Written by etl on every start of the local broker; edits are overwritten.',
    ['process.roles', 'broker,controller'],
    ['node.id', options.cluster?.nodeId ?? 1],
    // Static voters (not controller.quorum.bootstrap.servers) so the quorum's address comes from this file on every
    // start: a data folder formatted while the controller used another port keeps working.
    ['controller.quorum.voters', voters.map((v) => `${v.nodeId}@${v.host}:${v.controllerPort}`).join(',')],
    ['listeners', `${plaintext},${controller}`],
    ['advertised.listeners', plaintext],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['controller.listener.names', 'CONTROLLER'],
    ['listener.security.protocol.map', 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT'],
    ['log.dirs', c.dataDir],
    ['num.partitions', c.numPartitions],
    // One node: any replication factor above 1 would leave internal topics unable to be created. A cluster: see
    // replicationOf.
    ['offsets.topic.replication.factor', replicas],
    ['share.coordinator.state.topic.replication.factor', replicas],
    ['share.coordinator.state.topic.min.isr', minInsync],
    ['transaction.state.log.replication.factor', replicas],
    ['transaction.state.log.min.isr', minInsync],
    ['default.replication.factor', replicas],
    ['min.insync.replicas', minInsync],
    // Consumers of a fresh group start at once instead of waiting 3 s for more members that never come.
    ['group.initial.rebalance.delay.ms', 0],
    ['auto.create.topics.enable', 'true'],
  ])
}

/** Log4j2 for the broker: everything to one rolling file, nothing to the console (the console is a capture file). */
export function log4j2Properties(options: Pick<BrokerConfigOptions, 'logsDir'>): string {
  const file = `${options.logsDir}/server.log`
  return render([
    '# Written by etl on every start of the local broker; edits are overwritten.',
    ['status', 'warn'],
    ['name', 'etl-local-kafka'],
    ['appender.server.type', 'RollingFile'],
    ['appender.server.name', 'server'],
    ['appender.server.fileName', file],
    ['appender.server.filePattern', `${file}.%i`],
    ['appender.server.append', 'true'],
    ['appender.server.layout.type', 'PatternLayout'],
    ['appender.server.layout.pattern', '[%d] %p %m (%c)%n'],
    ['appender.server.policies.type', 'Policies'],
    ['appender.server.policies.size.type', 'SizeBasedTriggeringPolicy'],
    ['appender.server.policies.size.size', '20MB'],
    ['appender.server.strategy.type', 'DefaultRolloverStrategy'],
    ['appender.server.strategy.max', 3],
    ['rootLogger.level', 'INFO'],
    ['rootLogger.appenderRef.server.ref', 'server'],
    // The request and controller loggers are chatty at INFO and say nothing a user of a local broker needs.
    ['logger.request.name', 'kafka.request.logger'],
    ['logger.request.level', 'WARN'],
    ['logger.controller.name', 'kafka.controller'],
    ['logger.controller.level', 'WARN'],
  ])
}
