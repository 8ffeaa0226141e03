import {expect} from 'chai'
import postgres from '../../../../src/plugins/sink/postgres/index.js'
import {createLogger} from '../../../../src/runtime/logger.js'
import {withRetry} from '../../../../src/sdk/index.js'
import {origin, SinkHarness} from '../../../../src/testing/index.js'
import {query, ThrowawayPostgres, type TestDatabase} from '../../../support/test-postgres.js'

const options = {consumer: {group: 'g', topic: 'prices'}, topic: 'prices'}
const columns = {symbol: 'text', price_usd: 'double precision'}
const fast = {maxAttempts: 0, initialDelayMs: 100, maxDelayMs: 300}

describe('postgres sink when the database stops (a private, real PostgreSQL)', function () {
  this.timeout(120_000)
  let server: ThrowawayPostgres
  let db: TestDatabase

  before(async () => {
    server = await ThrowawayPostgres.start()
    db = await server.freshDatabase('outage')
  })

  after(() => server?.dispose())

  it('a flush while the server is stopped fails, is retried, and goes in once the server is back', async () => {
    const harness = await SinkHarness.create(postgres, {url: db.url, table: 'ticks', columns}, options)
    try {
      await harness.deliver([{symbol: 'before', price_usd: 1}], origin(0, 1))
      await server.stop('fast')
      await harness.write([{symbol: 'during', price_usd: 2}], origin(0, 2))
      const restart = new Promise((resolve) => setTimeout(resolve, 1500)).then(() => server.start())
      let retries = 0
      const logger = createLogger('test', {level: 'error'})
      await withRetry(() => harness.flush(), fast, {describe: 'flush', logger, count: () => retries++})
      await restart
      expect(retries).to.be.greaterThan(0)
      const rows = await query(db, 'SELECT symbol FROM ticks ORDER BY price_usd')
      expect(rows.map((row) => row.symbol)).to.deep.equal(['before', 'during'])
      const [offset] = await query(db, 'SELECT next_offset FROM etl_offsets')
      expect(offset.next_offset).to.equal('2')
    } finally {
      await harness.close()
    }
  })

  it('a crash of the server (stop -m immediate) loses nothing committed; the sink carries on after it', async () => {
    const harness = await SinkHarness.create(postgres, {url: db.url, table: 'crash', columns}, options)
    try {
      await harness.deliver([{symbol: 'a', price_usd: 1}], origin(0, 1))
      await server.stop('immediate')
      await server.start()
      await withRetry(() => harness.deliver([{symbol: 'b', price_usd: 2}], origin(0, 2)), fast, {
        describe: 'deliver',
        logger: createLogger('test', {level: 'error'}),
      })
      expect((await query(db, 'SELECT symbol FROM crash ORDER BY symbol')).map((row) => row.symbol)).to.deep.equal([
        'a',
        'b',
      ])
    } finally {
      await harness.close()
    }
  })

  it('waits for a database that is down at start, retrying per the policy with a clear log line', async () => {
    await server.stop('fast')
    const restart = new Promise((resolve) => setTimeout(resolve, 1500)).then(() => server.start())
    const harness = await SinkHarness.create(postgres, {url: db.url, table: 'late', columns}, {...options, retry: fast})
    await restart
    try {
      const retried = harness.logs.filter((line) =>
        /connecting to 127\.0\.0\.1:\d+\/outage\S* failed: .*retrying/.test(line),
      )
      expect(retried).to.not.deep.equal([])
      expect(harness.logs.join('\n')).to.not.include(server.password)
      await harness.deliver([{symbol: 'x', price_usd: 1}], origin(0, 1))
      expect(await query(db, 'SELECT symbol FROM late')).to.deep.equal([{symbol: 'x'}])
    } finally {
      await harness.close()
    }
  })
})
