import {expect} from 'chai'
import {
  copyRowsSql,
  createTableSql,
  parseTableName,
  qualified,
  quoteIdent,
  writeRowsSql,
} from '../../../../src/plugins/sink/postgres/sql-text.js'

const columns = [
  {name: 'symbol', type: 'text' as const},
  {name: 'window_start', type: 'timestamptz' as const},
  {name: 'close', type: 'double precision' as const},
]

describe('postgres sink SQL text', () => {
  it('quotes identifiers so no name can change a statement', () => {
    expect(quoteIdent('a"b; DROP TABLE x')).to.equal('"a""b; DROP TABLE x"')
    expect(qualified({schema: 'analytics', name: 'Candles'})).to.equal('"analytics"."Candles"')
    expect(qualified({name: 'ticks'})).to.equal('"ticks"')
  })

  it('parses name and schema.name, nothing else', () => {
    expect(parseTableName('ticks')).to.deep.equal({name: 'ticks'})
    expect(parseTableName('a.b')).to.deep.equal({schema: 'a', name: 'b'})
    expect(parseTableName('a.b.c')).to.equal(undefined)
    expect(parseTableName('a.')).to.equal(undefined)
  })

  it('creates a table with its key as primary key', () => {
    expect(createTableSql({name: 'c'}, columns, ['symbol', 'window_start'])).to.equal(
      'CREATE TABLE IF NOT EXISTS "c" ("symbol" text, "window_start" timestamptz, "close" double precision, ' +
        'PRIMARY KEY ("symbol", "window_start"))',
    )
  })

  it('inserts one text array per column, cast to its type; upsert updates the non-key columns', () => {
    const table = {schema: 'public', name: 'c'}
    const insert =
      'INSERT INTO "public"."c" ("symbol", "window_start", "close") SELECT * FROM unnest($1::text[], ' +
      '$2::timestamptz[], $3::double precision[])'
    expect(writeRowsSql({table, columns, mode: 'insert', key: []})).to.equal(insert)
    expect(writeRowsSql({table, columns, mode: 'upsert', key: ['symbol', 'window_start']})).to.equal(
      `${insert} ON CONFLICT ("symbol", "window_start") DO UPDATE SET "close" = EXCLUDED."close"`,
    )
    expect(writeRowsSql({table, columns: columns.slice(0, 1), mode: 'upsert', key: ['symbol']})).to.match(
      /ON CONFLICT \("symbol"\) DO NOTHING$/,
    )
  })

  it('copies into the quoted columns from STDIN', () => {
    expect(copyRowsSql({schema: 'public', name: 'c"x'}, columns)).to.equal(
      'COPY "public"."c""x" ("symbol", "window_start", "close") FROM STDIN',
    )
  })
})
