import {join} from 'node:path'
import {EtlCommand} from '../../cli/base-command.js'
import {stateDir} from '../../runtime/paths.js'
import {stopLocalPostgres} from '../../runtime/postgres-local/local-postgres.js'
import {postgresDirFlag} from './start.js'

export default class PostgresStop extends EtlCommand {
  static override summary = 'Stop the local PostgreSQL started by "etl postgres start" (its data is kept).'
  static override examples = ['<%= config.bin %> postgres stop']
  static override enableJsonFlag = true

  static override flags = {dir: postgresDirFlag}

  async run(): Promise<{wasRunning: boolean}> {
    const {flags} = await this.parse(PostgresStop)
    const result = await stopLocalPostgres(flags.dir ?? join(stateDir(), 'postgres'))
    this.log(result.wasRunning ? 'Stopped the local PostgreSQL.' : 'No local PostgreSQL was running.')
    return result
  }
}
