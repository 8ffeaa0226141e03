import {Flags} from '@oclif/core'
import {EtlCommand} from '../../cli/base-command.js'
import {activeController} from '../../runtime/kafka-local/active-controller.js'
import {KAFKA_VERSION} from '../../runtime/kafka-local/kafka-jars.js'
import {localBrokerStatus, type LocalBrokerStatus} from '../../runtime/kafka-local/local-broker.js'
import {localClusterStatus, type LocalClusterStatus} from '../../runtime/kafka-local/local-cluster.js'

type ClusterStatusResult = LocalClusterStatus & {running: boolean; controller: number | null; version: string}

export default class KafkaStatus extends EtlCommand {
  static override summary =
    'Show whether the local Kafka broker (or every node of the local cluster) runs; exits 0 when it does, 1 when not.'

  static override examples = ['<%= config.bin %> kafka status', '<%= config.bin %> kafka status --json']
  static override enableJsonFlag = true

  static override flags = {
    'state-dir': Flags.string({description: 'Folder for broker data and logs. [default: $ETL_STATE_DIR or ./.etl]'}),
  }

  async run(): Promise<(LocalBrokerStatus & {version: string}) | ClusterStatusResult> {
    const {flags} = await this.parse(KafkaStatus)
    const status = await localBrokerStatus({stateDir: flags['state-dir']})
    const cluster = await localClusterStatus({stateDir: flags['state-dir']})
    // A cluster's record stays after a stop; the single broker is shown instead only while it is the one running.
    if (cluster.exists && !status.running) return this.clusterStatus(cluster)
    if (status.running) {
      this.log(`Kafka ${KAFKA_VERSION} broker running at ${status.brokers} (pid ${status.pid})`)
    } else {
      this.log(
        `Kafka ${KAFKA_VERSION} broker not running${status.pid ? ` (pid ${status.pid} alive but not listening)` : ''}`,
      )
      // Not this.exit(1): that would throw before oclif prints the --json result, which scripts need either way.
      process.exitCode = 1
    }
    this.log(`log: ${status.logFile}`)
    this.log(`data: ${status.dataDir}`)
    return {...status, version: KAFKA_VERSION}
  }

  private async clusterStatus(cluster: LocalClusterStatus): Promise<ClusterStatusResult> {
    const live = cluster.nodes.filter((node) => node.running)
    const controller = live.length > 0 ? ((await activeController(live.map((node) => node.brokers))) ?? null) : null
    const running = live.length === cluster.nodes.length
    this.log(
      `Kafka ${KAFKA_VERSION} cluster: ${live.length} of ${cluster.nodes.length} nodes running` +
        (controller === null ? '' : `, active controller: node ${controller}`),
    )
    for (const node of cluster.nodes) {
      const state = node.running ? `running (pid ${node.pid})` : 'not running'
      this.log(`node ${node.nodeId}: ${node.brokers} ${state}${node.nodeId === controller ? ' [controller]' : ''}`)
    }
    if (!running) process.exitCode = 1
    return {...cluster, running, controller, version: KAFKA_VERSION}
  }
}
