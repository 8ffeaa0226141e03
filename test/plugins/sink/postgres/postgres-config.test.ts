import {expect} from 'chai'
import postgres from '../../../../src/plugins/sink/postgres/index.js'
import {postgresSettings} from '../../../../src/plugins/sink/postgres/postgres-config.js'
import {checkConfig, pluginConfig} from '../../../../src/testing/index.js'

describe('postgres sink config', () => {
  it('fills the defaults and normalises names and types once', () => {
    const config = pluginConfig(postgres, {table: 'analytics.ticks', columns: {price: 'float8', at: 'timestamptz'}})
    expect(config).to.include({mode: 'insert', createTable: true, batchSize: 5000, passwordEnv: 'PGPASSWORD'})
    const settings = postgresSettings(config)
    expect(settings.table).to.deep.equal({schema: 'analytics', name: 'ticks'})
    expect(settings.offsetsTable).to.deep.equal({schema: 'analytics', name: 'etl_offsets'})
    expect(settings.columns).to.deep.equal([
      {name: 'price', type: 'double precision'},
      {name: 'at', type: 'timestamptz'},
    ])
    expect(settings.connectTimeoutMs).to.equal(10_000)
  })

  it('reports upsert without key, key columns that are not columns, bad names and two ways to connect', async () => {
    const issues = await checkConfig(postgres, {
      url: 'postgres://etl@127.0.0.1/db',
      host: '127.0.0.1',
      table: 'a.b.c',
      columns: {symbol: 'text'},
      key: ['symbol', 'window_start'],
    })
    expect(issues).to.deep.equal([
      {path: ['key', 1], message: '"window_start" is not one of columns (symbol)'},
      {path: ['table'], message: '"a.b.c" is not a table name (name or schema.name)'},
      {path: ['host'], message: 'give either url or host/port/user/database, not both'},
    ])
    expect(await checkConfig(postgres, {table: 't', mode: 'upsert'})).to.deep.equal([
      {path: ['key'], message: 'upsert needs key (its columns)'},
    ])
  })

  it('rejects unknown column types and a missing table in the schema', async () => {
    const issues = await checkConfig(postgres, {columns: {price: 'money'}})
    expect(issues.map((issue) => issue.path.join('.'))).to.include.members(['', 'columns.price'])
  })

  it('treats url as a secret', () => {
    expect(postgres.secrets).to.deep.equal(['url'])
  })
})
