import {expect} from 'chai'
import postgres from '../../../../src/plugins/sink/postgres/index.js'
import {EtlError} from '../../../../src/runtime/errors.js'
import {origin, SinkHarness} from '../../../../src/testing/index.js'
import {freshTestDatabase, query, type TestDatabase} from '../../../support/test-postgres.js'

const consumer = {group: 'prices-group', topic: 'prices'}
const options = {consumer, topic: 'prices'}
const columns = {symbol: 'text', price_usd: 'double precision', timestamp: 'timestamptz'}

function tick(symbol: string, price: unknown, minute = 0): Record<string, unknown> {
  return {symbol, price_usd: price, timestamp: `2026-01-01T00:0${minute}:00.000Z`}
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a failure, but the call succeeded')
}

describe('postgres sink (a real PostgreSQL)', function () {
  this.timeout(60_000)
  let db: TestDatabase
  const open: SinkHarness[] = []

  async function sink(config: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<SinkHarness> {
    // A consumer object of its own: sinks of one process stage share theirs, and may not share a table.
    const own = {...options, consumer: {...consumer}, ...extra}
    const harness = await SinkHarness.create(postgres, {url: db.url, ...config}, own)
    open.push(harness as SinkHarness)
    return harness as SinkHarness
  }

  before(async () => {
    db = await freshTestDatabase('postgres_sink')
  })

  afterEach(async () => {
    for (const harness of open.splice(0)) await harness.close().catch(() => undefined)
  })

  it('creates the table, inserts rows with their types and records positions in the same transaction', async () => {
    const first = await sink({table: 'ticks_insert', columns})
    expect(first.positions).to.deep.equal({})
    await first.write([tick('btc', 60000.5), tick('eth', '3000.25')], origin(0, 5))
    await first.write([tick('btc', 60001, 1)], origin(1, 3))
    await first.flush()
    const rows = await query(db, 'SELECT symbol, price_usd, timestamp FROM ticks_insert ORDER BY price_usd')
    expect(rows.map((row) => [row.symbol, row.price_usd])).to.deep.equal([
      ['eth', 3000.25],
      ['btc', 60000.5],
      ['btc', 60001],
    ])
    expect((rows[0].timestamp as Date).toISOString()).to.equal('2026-01-01T00:00:00.000Z')
    const offsets = await query(db, 'SELECT * FROM etl_offsets ORDER BY partition')
    expect(
      offsets.map((row) => [row.group_id, row.table_name, row.topic, row.partition, row.next_offset]),
    ).to.deep.equal([
      ['prices-group', 'public.ticks_insert', 'prices', 0, '5'],
      ['prices-group', 'public.ticks_insert', 'prices', 1, '3'],
    ])
    await first.close()
    const reopened = await sink({table: 'ticks_insert', columns})
    expect(reopened.positions).to.deep.equal({0: 5, 1: 3})
    const otherGroup = await sink({table: 'ticks_insert', columns}, {consumer: {group: 'other', topic: 'prices'}})
    expect(otherGroup.positions).to.deep.equal({})
  })

  it('upserts in place by key, within one batch and across batches', async () => {
    const candles = {symbol: 'text', window_start: 'timestamptz', close: 'double precision', trades: 'integer'}
    const config = {table: 'candles', columns: candles, mode: 'upsert', key: ['symbol', 'window_start']}
    const harness = await sink(config)
    const candle = (close: number, trades: number, symbol = 'btc') => ({
      symbol,
      window_start: '2026-01-01T00:00:00Z',
      close,
      trades,
    })
    await harness.deliver([candle(1, 1), candle(2, 2), candle(5, 1, 'eth')], origin(0, 3))
    await harness.deliver([candle(3, 3)], origin(0, 4))
    const rows = await query(db, 'SELECT symbol, close, trades FROM candles ORDER BY symbol')
    expect(rows).to.deep.equal([
      {symbol: 'btc', close: 3, trades: 3},
      {symbol: 'eth', close: 5, trades: 1},
    ])
  })

  it('a flush whose connection is killed mid-way commits nothing and succeeds when retried', async () => {
    const harness = await sink({table: 'ticks_killed', columns})
    await query(
      db,
      `CREATE FUNCTION slow_marker() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.symbol = 'slow' THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$`,
    )
    await query(db, 'CREATE TRIGGER slow BEFORE INSERT ON ticks_killed FOR EACH ROW EXECUTE FUNCTION slow_marker()')
    await harness.write([tick('btc', 1), tick('slow', 2), tick('eth', 3)], origin(0, 10))
    const flushing = failure(harness.flush())
    await waitFor(async () => (await sinkBackends(db)).length > 0)
    await query(db, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1)', [
      await sinkBackends(db),
    ])
    const error = await flushing
    expect(error).to.not.be.instanceOf(EtlError)
    expect(error.message).to.match(/table public\.ticks_killed/)
    expect(await query(db, 'SELECT * FROM ticks_killed')).to.have.length(0)
    expect(await query(db, "SELECT * FROM etl_offsets WHERE table_name = 'public.ticks_killed'")).to.have.length(0)
    await query(db, 'DROP TRIGGER slow ON ticks_killed')
    await harness.flush()
    const rows = await query(db, 'SELECT symbol FROM ticks_killed ORDER BY price_usd')
    expect(rows.map((row) => row.symbol)).to.deep.equal(['btc', 'slow', 'eth'])
    const [offset] = await query(db, "SELECT next_offset FROM etl_offsets WHERE table_name = 'public.ticks_killed'")
    expect(offset.next_offset).to.equal('10')
  })

  it('two sinks on one table and partition (two workers) never write an input twice', async () => {
    const a = await sink({table: 'ticks_two'})
    const b = await sink({table: 'ticks_two'})
    // Both got partition 0 from offset 0 (a rebalance moved it while a's batch was in flight).
    await a.write([tick('btc', 1)], origin(0, 10))
    await b.write([tick('btc', 1)], origin(0, 10))
    await b.write([tick('btc', 2, 1)], origin(0, 20))
    await Promise.all([a.flush(), b.flush()])
    const rows = await query(db, 'SELECT price_usd FROM ticks_two ORDER BY price_usd')
    expect(rows.map((row) => row.price_usd)).to.deep.equal([1, 2])
    expect(b.counts.get('skipped_already_written') ?? a.counts.get('skipped_already_written')).to.equal(1)
    const [offset] = await query(db, "SELECT next_offset FROM etl_offsets WHERE table_name = 'public.ticks_two'")
    expect(offset.next_offset).to.equal('20')
  })

  it('stops with ETL_SINK_CONFLICT when another writer recorded a position inside its batch', async () => {
    const a = await sink({table: 'ticks_conflict', columns})
    const b = await sink({table: 'ticks_conflict', columns})
    await a.deliver([tick('btc', 1)], origin(0, 15))
    await b.write([tick('btc', 1), tick('btc', 2)], origin(0, 20))
    const error = await failure(b.flush())
    expect((error as EtlError).code).to.equal('ETL_SINK_CONFLICT')
    expect(error.message).to.include('partition 0').and.include('offset 15')
    expect(await query(db, 'SELECT * FROM ticks_conflict')).to.have.length(1)
  })

  it('dead-letters values the sink or the database refuses, and writes the rest with the positions', async () => {
    await query(db, 'CREATE TABLE ticks_bad (symbol text, price_usd double precision CHECK (price_usd > 0), n integer)')
    const harness = await sink({table: 'ticks_bad', columns: {symbol: 'text', price_usd: 'double precision'}})
    const records = [
      {symbol: 'ok1', price_usd: 1},
      {symbol: 'word', price_usd: 'abc'},
      {symbol: 'huge', price_usd: '1e400'},
      {symbol: 'negative', price_usd: -5},
      {symbol: 'ok2', price_usd: 2},
    ]
    await harness.deliver(records, origin(0, 5))
    const rows = await query(db, 'SELECT symbol FROM ticks_bad ORDER BY symbol')
    expect(rows.map((row) => row.symbol)).to.deep.equal(['ok1', 'ok2'])
    const reasons = Object.fromEntries(harness.rejected.map((r) => [r.record.symbol, r.reason]))
    expect(Object.keys(reasons).sort()).to.deep.equal(['huge', 'negative', 'word'])
    expect(reasons.word).to.match(/column price_usd .*"abc" is not a finite number/)
    expect(reasons.huge).to.match(/PostgreSQL refused the row: .*out of range.*SQLSTATE 22003/)
    expect(reasons.negative).to.match(/check constraint.*SQLSTATE 23514/)
    expect(harness.rejected.every((r) => r.code === 'ETL_RECORD_INVALID')).to.equal(true)
    const [offset] = await query(db, "SELECT next_offset FROM etl_offsets WHERE table_name = 'public.ticks_bad'")
    expect(offset.next_offset).to.equal('5')
  })

  it('refuses a wrong password at once with ETL_SINK_ACCESS, never showing the password', async () => {
    const wrong = db.url.replace(db.password, 'wrong-password-123')
    const error = await failure(SinkHarness.create(postgres, {url: wrong, table: 't', columns}, options))
    expect((error as EtlError).code).to.equal('ETL_SINK_ACCESS')
    expect(error.message).to.include('password authentication failed').and.not.include('wrong-password-123')
  })

  it('refuses a user without privileges with ETL_SINK_ACCESS', async () => {
    await query(db, "CREATE ROLE reader LOGIN PASSWORD 'reader-pw-1234'")
    const url = db.url.replace(`${db.user}:${db.password}`, 'reader:reader-pw-1234')
    const error = await failure(SinkHarness.create(postgres, {url, table: 'not_mine', columns}, options))
    expect((error as EtlError).code).to.equal('ETL_SINK_ACCESS')
    expect(error.message).to.include('permission denied').and.include('table public.not_mine')
  })

  it('stops with ETL_SINK_SCHEMA for a missing table with createTable off, or a column of another type', async () => {
    const missing = await failure(sink({table: 'nowhere', columns, createTable: false}))
    expect((missing as EtlError).code).to.equal('ETL_SINK_SCHEMA')
    expect(missing.message).to.include('table public.nowhere').and.include('createTable')
    await query(db, 'CREATE TABLE ticks_typed (symbol text, price_usd text, timestamp timestamptz)')
    const mismatch = await failure(sink({table: 'ticks_typed', columns}))
    expect((mismatch as EtlError).code).to.equal('ETL_SINK_SCHEMA')
    expect(mismatch.message).to.include('column price_usd').and.include('text in the database')
    const noKey = await failure(sink({table: 'ticks_typed', mode: 'upsert', key: ['symbol']}))
    expect((noKey as EtlError).code).to.equal('ETL_SINK_SCHEMA')
    expect(noKey.message).to.include('unique index')
  })

  it('loads every value exactly through COPY, binary where it can and text where it cannot', async () => {
    const types = {
      t: 'text',
      d: 'double precision',
      i: 'integer',
      b: 'bigint',
      ok: 'boolean',
      at: 'timestamptz',
      j: 'jsonb',
    }
    const awkward = 'tab\there, line\nbreak, CR\r, back\\slash, \\N, ünïcødé 💹'
    const records = [
      {n: 1, t: awkward, d: 0.1 + 0.2, i: -2147483648, b: 9007199254740993n, ok: true, at: '2026-12-01T00:00:00.123Z'},
      {n: 2, t: '', d: '1e-300', i: '42', b: '-9223372036854775808', ok: 'false', at: 0, j: {a: [1, 'x\ty']}},
      {n: 3, t: null, d: 5e-324, i: null, b: null, ok: 0, at: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999))},
    ]
    const read = (table: string) =>
      query(
        db,
        `SELECT n, t, d, i, b::text, ok, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS at, j ` +
          `FROM ${table} ORDER BY n`,
      )
    const expected = [
      {
        n: 1,
        t: awkward,
        d: 0.1 + 0.2,
        i: -2147483648,
        b: '9007199254740993',
        ok: true,
        at: '2026-12-01T00:00:00.123000',
        j: null,
      },
      {
        n: 2,
        t: '',
        d: 1e-300,
        i: 42,
        b: '-9223372036854775808',
        ok: false,
        at: '1970-01-01T00:00:00.000000',
        j: {a: [1, 'x\ty']},
      },
      {n: 3, t: null, d: 5e-324, i: null, b: null, ok: false, at: '1999-12-31T23:59:59.999000', j: null},
    ]
    const binary = await sink({table: 'copy_binary', columns: {n: 'integer', ...types}})
    await binary.deliver(records, origin(0, 3))
    expect(await read('copy_binary')).to.deep.equal(expected)

    // A time with microseconds and an offset, and a numeric column: no binary form here, so the COPY goes as text.
    const asText = await sink({table: 'copy_text', columns: {n: 'integer', ...types, amount: 'numeric'}})
    const precise = {n: 4, t: 'x', d: 1, i: 1, b: 1, ok: true, at: '2026-12-01T02:00:00.123456+02:00', amount: '1.10'}
    await asText.deliver([...records, precise], origin(0, 4))
    const textRows = await read('copy_text')
    expect(textRows.slice(0, 3)).to.deep.equal(expected)
    expect(textRows[3].at).to.equal('2026-12-01T00:00:00.123456')
    const [amount] = await query(db, 'SELECT amount::text FROM copy_text WHERE n = 4')
    expect(amount.amount).to.equal('1.10')
    expect([...binary.rejected, ...asText.rejected]).to.deep.equal([])
  })

  it('refuses an out-of-range price that JavaScript would read as Infinity or 0, alone', async () => {
    const harness = await sink({table: 'ticks_range', columns: {symbol: 'text', price_usd: 'double precision'}})
    const records = [
      {symbol: 'ok', price_usd: 1},
      {symbol: 'huge', price_usd: '1e400'},
      {symbol: 'tiny', price_usd: '1e-400'},
    ]
    await harness.deliver(records, origin(0, 3))
    expect(await query(db, 'SELECT symbol, price_usd FROM ticks_range')).to.deep.equal([{symbol: 'ok', price_usd: 1}])
    expect(harness.rejected.map((r) => r.record.symbol).sort()).to.deep.equal(['huge', 'tiny'])
    expect(harness.rejected.every((r) => /out of range.*SQLSTATE 22003/.test(r.reason))).to.equal(true)
  })

  it('infers columns from the first record, and adopts an existing table’s columns', async () => {
    const first = await sink({table: 'ticks_inferred'})
    await first.deliver(
      [{symbol: 'btc', price_usd: 1.5, timestamp: '2026-01-01T00:00:00Z', extra: {a: 1}}],
      origin(0, 1),
    )
    const types = await query(
      db,
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'ticks_inferred' " +
        'ORDER BY ordinal_position',
    )
    expect(types.map((row) => `${row.column_name}:${row.data_type}`)).to.deep.equal([
      'symbol:text',
      'price_usd:double precision',
      'timestamp:timestamp with time zone',
      'extra:jsonb',
    ])
    const second = await sink({table: 'ticks_inferred'})
    await second.deliver([{symbol: 'eth', price_usd: 2, timestamp: 0, stray: true}], origin(0, 2))
    expect(second.counts.get('ignored_field')).to.equal(1)
    expect(await query(db, 'SELECT symbol FROM ticks_inferred ORDER BY symbol')).to.deep.equal([
      {symbol: 'btc'},
      {symbol: 'eth'},
    ])
  })
})

/** Backends of the sink (application_name "etl <pipeline>") running a statement. */
async function sinkBackends(db: TestDatabase): Promise<number[]> {
  const rows = await query<{pid: number}>(
    db,
    "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'etl %' AND state = 'active'",
  )
  return rows.map((row) => row.pid)
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
