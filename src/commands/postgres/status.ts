import {join} from 'node:path'
import {EtlCommand} from '../../cli/base-command.js'
import {stateDir} from '../../runtime/paths.js'
import {localPostgresStatus, type LocalPostgresStatus} from '../../runtime/postgres-local/local-postgres.js'
import {postgresDirFlag} from './start.js'

export default class PostgresStatus extends EtlCommand {
  static override summary = 'Show whether the local PostgreSQL runs; exits 0 when it does, 1 when it does not.'
  static override examples = ['<%= config.bin %> postgres status', '<%= config.bin %> postgres status --json']
  static override enableJsonFlag = true

  static override flags = {dir: postgresDirFlag}

  async run(): Promise<LocalPostgresStatus> {
    const {flags} = await this.parse(PostgresStatus)
    const status = await localPostgresStatus(flags.dir ?? join(stateDir(), 'postgres'))
    if (status.running) this.log(`PostgreSQL running on port ${status.port} (pid ${status.pid})`)
    else {
      this.log('PostgreSQL not running')
      // Not this.exit(1): that would throw before oclif prints the --json result, which scripts need either way.
      process.exitCode = 1
    }
    this.log(`log: ${status.logFile}`)
    this.log(`data: ${status.dataDir}`)
    return status
  }
}
