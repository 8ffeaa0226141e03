import {expect} from 'chai'
import {chmod, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import pg from 'pg'
import {stopLocalPostgres} from '../../../src/runtime/postgres-local/local-postgres.js'
import {freePorts} from '../../support/global-broker.js'
import {buildCli, runEtl} from '../../support/run-cli.js'
import {testPostgres} from '../../support/test-postgres.js'

describe('etl postgres start | status | stop', function () {
  this.timeout(120_000)
  let parent: string
  let dir: string

  before(async () => {
    buildCli()
    // Installs the server programs when they are missing (as root), as every PostgreSQL test does.
    await testPostgres()
  })
  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'etl-postgres-cli-'))
    // The server runs as the postgres user when etl runs as root: it must be able to reach the folder.
    await chmod(parent, 0o755)
    dir = join(parent, 'pg')
  })
  afterEach(async () => {
    await stopLocalPostgres(dir, 'immediate').catch(() => undefined)
    await rm(parent, {recursive: true, force: true})
  })

  it('starts a cluster with a database etl that accepts connections, reports it, and stops it', async () => {
    const [port] = await freePorts(1)
    const started = await runEtl(['postgres', 'start', '--dir', dir, '--port', String(port), '--json'])
    expect(started.code, started.stderr).to.equal(0)
    const info = JSON.parse(started.stdout) as {databaseUrl: string; port: number}
    expect(info.databaseUrl).to.equal(`postgres://etl@127.0.0.1:${port}/etl`)
    const client = new pg.Client({connectionString: info.databaseUrl})
    await client.connect()
    const {rows} = await client.query<{db: string}>('SELECT current_database() AS db')
    await client.end()
    expect(rows).to.deep.equal([{db: 'etl'}])

    const again = await runEtl(['postgres', 'start', '--dir', dir])
    expect(again.code, again.stderr).to.equal(0)
    expect(again.stdout).to.include(`already running at 127.0.0.1:${port}`)
    const running = await runEtl(['postgres', 'status', '--dir', dir, '--json'])
    expect(running.code).to.equal(0)
    expect(JSON.parse(running.stdout)).to.include({running: true, port})

    const stopped = await runEtl(['postgres', 'stop', '--dir', dir])
    expect(stopped.code, stopped.stderr).to.equal(0)
    expect(stopped.stdout).to.include('Stopped the local PostgreSQL.')
    const status = await runEtl(['postgres', 'status', '--dir', dir, '--json'])
    expect(status.code, 'status exits 1 when not running').to.equal(1)
    expect(JSON.parse(status.stdout)).to.include({running: false})
  })
})
