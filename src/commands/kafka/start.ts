import {Flags} from '@oclif/core'
import {EtlCommand} from '../../cli/base-command.js'
import {createLogger} from '../../runtime/logger.js'
import {KAFKA_VERSION} from '../../runtime/kafka-local/kafka-jars.js'
import {startLocalBroker, type LocalBrokerInfo} from '../../runtime/kafka-local/local-broker.js'

export default class KafkaStart extends EtlCommand {
  static override summary = `Start a local Kafka ${KAFKA_VERSION} broker (no Docker needed: Java 17+ and Maven).`
  static override description =
    'The broker runs in the background and outlives this command; stop it with "etl kafka stop". The first start ' +
    'fetches the Kafka jars from Maven Central into the user cache and formats a KRaft data folder in the state folder.'

  static override examples = ['<%= config.bin %> kafka start', '<%= config.bin %> kafka start --port 19092 --json']
  static override enableJsonFlag = true

  static override flags = {
    port: Flags.integer({
      description: 'Port for Kafka clients (PLAINTEXT listener).',
      default: 9092,
      min: 1,
      max: 65535,
    }),
    'controller-port': Flags.integer({
      description: 'Port for the KRaft controller. [default: port + 1]',
      min: 1,
      max: 65535,
    }),
    'state-dir': Flags.string({description: 'Folder for broker data and logs. [default: $ETL_STATE_DIR or ./.etl]'}),
  }

  async run(): Promise<LocalBrokerInfo & {version: string}> {
    const {flags} = await this.parse(KafkaStart)
    const started = await startLocalBroker({
      port: flags.port,
      controllerPort: flags['controller-port'],
      stateDir: flags['state-dir'],
      logger: createLogger('kafka'),
    })
    const what = started.alreadyRunning ? 'already running' : 'running'
    this.log(`Kafka ${KAFKA_VERSION} broker ${what} at ${started.brokers} (pid ${started.pid})`)
    this.log(`log: ${started.logFile}`)
    this.log(`data: ${started.dataDir}`)
    return {...started, version: KAFKA_VERSION}
  }
}
