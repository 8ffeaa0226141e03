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

/** A single KRaft node that is both broker and controller, for one developer machine or one test run. */
export function serverProperties(options: BrokerConfigOptions): string {
  const c = resolveBrokerConfig(options)
  const plaintext = `PLAINTEXT://${c.host}:${c.port}`
  const controller = `CONTROLLER://${c.host}:${c.controllerPort}`
  return render([
    '# Written by etl on every start of the local broker; edits are overwritten.',
    ['process.roles', 'broker,controller'],
    ['node.id', 1],
    // Static voters (not controller.quorum.bootstrap.servers) so the quorum's address comes from this file on every
    // start: a data folder formatted while the controller used another port keeps working.
    ['controller.quorum.voters', `1@${c.host}:${c.controllerPort}`],
    ['listeners', `${plaintext},${controller}`],
    ['advertised.listeners', plaintext],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['controller.listener.names', 'CONTROLLER'],
    ['listener.security.protocol.map', 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT'],
    ['log.dirs', c.dataDir],
    ['num.partitions', c.numPartitions],
    // One node: any replication factor above 1 would leave internal topics unable to be created.
    ['offsets.topic.replication.factor', 1],
    ['share.coordinator.state.topic.replication.factor', 1],
    ['share.coordinator.state.topic.min.isr', 1],
    ['transaction.state.log.replication.factor', 1],
    ['transaction.state.log.min.isr', 1],
    ['default.replication.factor', 1],
    ['min.insync.replicas', 1],
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
