import {Flags} from '@oclif/core'
import {EtlCommand} from '../../cli/base-command.js'
import {EtlError} from '../../runtime/errors.js'
import {createLogger} from '../../runtime/logger.js'
import {KAFKA_VERSION} from '../../runtime/kafka-local/kafka-jars.js'
import {startLocalBroker, type LocalBrokerInfo} from '../../runtime/kafka-local/local-broker.js'
import {startLocalCluster, type LocalClusterInfo} from '../../runtime/kafka-local/local-cluster.js'

export default class KafkaStart extends EtlCommand {
  static override summary = `Start a local Kafka ${KAFKA_VERSION} broker (no Docker needed: Java 17+ and Maven).`
  static override description =
    'The broker runs in the background and outlives this command; stop it with "etl kafka stop". The first start ' +
    'fetches the Kafka jars from Maven Central into the user cache and formats a KRaft data folder in the state ' +
    'folder. With --nodes 3 it starts a cluster of three broker+controller nodes instead (node i on port + 2(i-1), ' +
    'its controller on the next port), whose internal and new topics have 3 replicas and min.insync.replicas=2.'

  static override examples = [
    '<%= config.bin %> kafka start',
    '<%= config.bin %> kafka start --port 19092 --json',
    '<%= config.bin %> kafka start --nodes 3',
  ]

  static override enableJsonFlag = true

  static override flags = {
    port: Flags.integer({
      description: "Port for Kafka clients (PLAINTEXT listener); with --nodes, the first node's.",
      default: 9092,
      min: 1,
      max: 65535,
    }),
    'controller-port': Flags.integer({
      description: 'Port for the KRaft controller (one node only). [default: port + 1]',
      min: 1,
      max: 65535,
    }),
    nodes: Flags.integer({
      description: 'How many broker+controller nodes: 1 is the single local broker, 3 a replicated cluster.',
      default: 1,
      min: 1,
      max: 9,
    }),
    'heap-mb': Flags.integer({description: 'Heap of each broker JVM, in MB.', default: 512, min: 128}),
    'state-dir': Flags.string({description: 'Folder for broker data and logs. [default: $ETL_STATE_DIR or ./.etl]'}),
  }

  async run(): Promise<(LocalBrokerInfo | LocalClusterInfo) & {version: string}> {
    const {flags} = await this.parse(KafkaStart)
    const logger = createLogger('kafka')
    if (flags.nodes > 1) {
      if (flags['controller-port'] !== undefined) {
        const message = "--controller-port is for one node; a cluster puts each controller next to its node's port"
        throw new EtlError('ETL_CONFIG_INVALID', message, {exitCode: 2})
      }
      const options = {nodes: flags.nodes, port: flags.port, heapMb: flags['heap-mb'], logger}
      const cluster = await startLocalCluster({...options, stateDir: flags['state-dir']})
      const what = cluster.alreadyRunning.length === cluster.nodes.length ? 'already running' : 'running'
      this.log(`Kafka ${KAFKA_VERSION} cluster of ${cluster.nodes.length} nodes ${what} at ${cluster.brokers}`)
      for (const node of cluster.nodes)
        this.log(`node ${node.nodeId}: ${node.brokers} (pid ${node.pid}) log: ${node.logFile}`)
      return {...cluster, version: KAFKA_VERSION}
    }
    const started = await startLocalBroker({
      port: flags.port,
      controllerPort: flags['controller-port'],
      stateDir: flags['state-dir'],
      heapMb: flags['heap-mb'],
      logger,
    })
    const what = started.alreadyRunning ? 'already running' : 'running'
    this.log(`Kafka ${KAFKA_VERSION} broker ${what} at ${started.brokers} (pid ${started.pid})`)
    this.log(`log: ${started.logFile}`)
    this.log(`data: ${started.dataDir}`)
    return {...started, version: KAFKA_VERSION}
  }
}
