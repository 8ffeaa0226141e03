import {expect} from 'chai'
import {createServer} from 'node:net'
import {existsSync} from 'node:fs'
import {EtlError} from '../../../src/runtime/errors.js'
import {localPostgresStatus, startLocalPostgres} from '../../../src/runtime/postgres-local/local-postgres.js'
import {freePorts} from '../../support/global-broker.js'
import {query, ThrowawayPostgres, withClient} from '../../support/test-postgres.js'

describe('postgres-local (a real, throwaway PostgreSQL)', function () {
  this.timeout(120_000)
  let server: ThrowawayPostgres

  before(async () => {
    server = await ThrowawayPostgres.start()
  })

  after(() => server?.dispose())

  it('starts a cluster that accepts the password over TCP and refuses a wrong one', async () => {
    const [row] = await query<{version: string}>(server.database(), 'select version()')
    expect(row.version).to.match(/^PostgreSQL \d+/)
    const wrong = {...server.database(), url: server.database().url.replace(server.password, 'not-the-password')}
    const error = await withClient(wrong, async () => undefined).then(
      () => undefined,
      (caught: unknown) => caught as {code?: string},
    )
    expect(error?.code).to.equal('28P01')
  })

  it('reports its status, and a second start of the running folder returns it as already running', async () => {
    const status = await localPostgresStatus(server.dir)
    expect(status.running).to.equal(true)
    expect(status.pid).to.be.a('number')
    expect(status.port).to.equal(server.info.port)
    const again = await startLocalPostgres({dir: server.dir})
    expect(again.alreadyRunning).to.equal(true)
    expect(again.port).to.equal(server.info.port)
  })

  it('keeps committed data across a clean stop and a crash stop (immediate), on the same port', async () => {
    const db = await server.freshDatabase('restart')
    await query(db, 'create table kept (n int)')
    await query(db, 'insert into kept values (1)')
    expect((await server.stop('fast')).wasRunning).to.equal(true)
    expect((await localPostgresStatus(server.dir)).running).to.equal(false)
    expect((await server.stop('fast')).wasRunning).to.equal(false)
    await server.start()
    await query(db, 'insert into kept values (2)')
    await server.stop('immediate')
    await server.start()
    const rows = await query<{n: number}>(db, 'select n from kept order by n')
    expect(rows.map((row) => row.n)).to.deep.equal([1, 2])
  })

  it('fails with ETL_POSTGRES_SETUP when the port is taken by another program', async () => {
    const [port] = await freePorts(1)
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
    try {
      await server.stop('fast')
      const error = await startLocalPostgres({dir: server.dir, port}).then(
        () => undefined,
        (caught: unknown) => caught,
      )
      expect(error).to.be.instanceOf(EtlError)
      expect((error as EtlError).code).to.equal('ETL_POSTGRES_SETUP')
      expect((error as EtlError).message).to.include(`Port ${port}`)
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
      await server.start()
    }
  })

  it('removes its folder when disposed', async () => {
    const other = await ThrowawayPostgres.start()
    other.dispose()
    expect(existsSync(other.dir)).to.equal(false)
    expect((await localPostgresStatus(other.dir)).running).to.equal(false)
  })
})
