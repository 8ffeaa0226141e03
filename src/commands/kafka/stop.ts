import {Flags} from '@oclif/core'
import {EtlCommand} from '../../cli/base-command.js'
import {createLogger} from '../../runtime/logger.js'
import {stopLocalBroker, type LocalBrokerStopResult} from '../../runtime/kafka-local/local-broker.js'
import {stopLocalCluster, type LocalClusterStopResult} from '../../runtime/kafka-local/local-cluster.js'

export default class KafkaStop extends EtlCommand {
  static override summary =
    'Stop the local Kafka broker, or every node of the local cluster, started by "etl kafka start" (data is kept).'

  static override examples = ['<%= config.bin %> kafka stop']
  static override enableJsonFlag = true

  static override flags = {
    'state-dir': Flags.string({description: 'Folder for broker data and logs. [default: $ETL_STATE_DIR or ./.etl]'}),
  }

  async run(): Promise<LocalBrokerStopResult | (LocalBrokerStopResult & LocalClusterStopResult)> {
    const {flags} = await this.parse(KafkaStop)
    const logger = createLogger('kafka')
    const [single, cluster] = await Promise.all([
      stopLocalBroker({stateDir: flags['state-dir'], logger}),
      stopLocalCluster({stateDir: flags['state-dir'], logger}),
    ])
    if (single.wasRunning)
      this.log(`Stopped the local Kafka broker (pid ${single.pid})${single.forced ? ' by force' : ''}.`)
    for (const node of cluster.nodes.filter((n) => n.wasRunning)) {
      this.log(
        `Stopped node ${node.nodeId} of the local Kafka cluster (pid ${node.pid})${node.forced ? ' by force' : ''}.`,
      )
    }
    const stoppedNodes = cluster.nodes.some((node) => node.wasRunning)
    if (!single.wasRunning && !stoppedNodes) this.log('No local Kafka broker was running.')
    if (cluster.nodes.length === 0) return single
    return {
      ...single,
      wasRunning: single.wasRunning || stoppedNodes,
      forced: single.forced || cluster.nodes.some((node) => node.forced),
      nodes: cluster.nodes,
    }
  }
}
