import {Flags} from '@oclif/core'
import {EtlCommand} from '../../cli/base-command.js'
import {KAFKA_VERSION} from '../../runtime/kafka-local/kafka-jars.js'
import {localBrokerStatus, type LocalBrokerStatus} from '../../runtime/kafka-local/local-broker.js'

export default class KafkaStatus extends EtlCommand {
  static override summary = 'Show whether the local Kafka broker runs; exits 0 when it does, 1 when it does not.'
  static override examples = ['<%= config.bin %> kafka status', '<%= config.bin %> kafka status --json']
  static override enableJsonFlag = true

  static override flags = {
    'state-dir': Flags.string({description: 'Folder for broker data and logs. [default: $ETL_STATE_DIR or ./.etl]'}),
  }

  async run(): Promise<LocalBrokerStatus & {version: string}> {
    const {flags} = await this.parse(KafkaStatus)
    const status = await localBrokerStatus({stateDir: flags['state-dir']})
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
}
