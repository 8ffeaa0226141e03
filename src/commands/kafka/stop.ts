import {Flags} from '@oclif/core'
import {EtlCommand} from '../../cli/base-command.js'
import {createLogger} from '../../runtime/logger.js'
import {stopLocalBroker, type LocalBrokerStopResult} from '../../runtime/kafka-local/local-broker.js'

export default class KafkaStop extends EtlCommand {
  static override summary = 'Stop the local Kafka broker started by "etl kafka start" (its data is kept).'
  static override examples = ['<%= config.bin %> kafka stop']
  static override enableJsonFlag = true

  static override flags = {
    'state-dir': Flags.string({description: 'Folder for broker data and logs. [default: $ETL_STATE_DIR or ./.etl]'}),
  }

  async run(): Promise<LocalBrokerStopResult> {
    const {flags} = await this.parse(KafkaStop)
    const result = await stopLocalBroker({stateDir: flags['state-dir'], logger: createLogger('kafka')})
    if (!result.wasRunning) this.log('No local Kafka broker was running.')
    else this.log(`Stopped the local Kafka broker (pid ${result.pid})${result.forced ? ' by force' : ''}.`)
    return result
  }
}
