import {Flags} from '@oclif/core'
import {join} from 'node:path'
import {EtlCommand} from '../../cli/base-command.js'
import {createLogger} from '../../runtime/logger.js'
import {stateDir} from '../../runtime/paths.js'
import {ensureDatabase} from '../../runtime/postgres-local/ensure-database.js'
import {startLocalPostgres, type LocalPostgresInfo} from '../../runtime/postgres-local/local-postgres.js'

export const postgresDirFlag = Flags.string({
  description: 'Folder of the cluster (data, socket, log). [default: $ETL_STATE_DIR/postgres or ./.etl/postgres]',
})

export default class PostgresStart extends EtlCommand {
  static override summary = 'Start a local PostgreSQL for pipelines that write to one (no Docker, no system service).'
  static override description =
    'Uses the PostgreSQL server installed on this machine (Debian: apt-get install postgresql; its binaries need not ' +
    'be on PATH). The first start creates the cluster in the state folder, with a superuser "etl" trusted on ' +
    '127.0.0.1, and a database "etl". The server runs in the background and outlives this command; stop it with ' +
    '"etl postgres stop". For local development: no password, listening on 127.0.0.1 only.'

  static override examples = [
    '<%= config.bin %> postgres start',
    '<%= config.bin %> postgres start --port 55432 --json',
  ]
  static override enableJsonFlag = true

  static override flags = {
    port: Flags.integer({
      description: 'TCP port on 127.0.0.1. [default: the last start’s, else 5432]',
      min: 1,
      max: 65535,
    }),
    database: Flags.string({description: 'Database created when missing.', default: 'etl'}),
    dir: postgresDirFlag,
  }

  async run(): Promise<LocalPostgresInfo & {database: string; databaseUrl: string}> {
    const {flags} = await this.parse(PostgresStart)
    const dir = flags.dir ?? join(stateDir(), 'postgres')
    const started = await startLocalPostgres({dir, port: flags.port, logger: createLogger('postgres')})
    const created = await ensureDatabase(started, flags.database)
    const databaseUrl = `postgres://${started.user}@${started.host}:${started.port}/${flags.database}`
    this.log(`PostgreSQL ${started.alreadyRunning ? 'already running' : 'running'} at ${started.host}:${started.port}`)
    this.log(`database: ${databaseUrl}${created ? ' (created)' : ''}`)
    this.log(`log: ${started.logFile}`)
    this.log(`data: ${started.dataDir}`)
    return {...started, database: flags.database, databaseUrl}
  }
}
