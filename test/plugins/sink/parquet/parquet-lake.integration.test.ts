/**
 * The parquet sink against real files read back with DuckDB (an independent reader): rows and types as written,
 * rolls by rows, bytes and age, compressions, a writer killed with -9 at random moments (the lake equals the input
 * exactly, no half file ever visible), and a real full disk (a 1 MiB tmpfs; skipped when mounting is not allowed).
 */
import {expect} from 'chai'
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import parquet from '../../../../src/plugins/sink/parquet/index.js'
import {origin, SinkHarness, TestClock} from '../../../../src/testing/index.js'
import {lakeTypes, queryLake} from '../../../support/duckdb-lake.js'
import {seededRandom} from '../../../support/seeded-random.js'

const CHILD = join(import.meta.dirname, '../../../support/parquet-sink-child.ts')

function files(root: string): string[] {
  return (readdirSync(root, {recursive: true}) as string[]).filter((name) => name.endsWith('.parquet')).sort()
}

describe('parquet sink: the lake read back with DuckDB', function () {
  this.timeout(120_000)
  let dir: string
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'etl-parquet-'))))
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('holds the rows written, typed (TIMESTAMP, DOUBLE, BIGINT, BOOLEAN, VARCHAR), in Hive folders', async () => {
    const config = {
      path: 'lake',
      columns: [
        {name: 'timestamp', type: 'timestamp'},
        {name: 'symbol', type: 'string'},
        {name: 'price_usd', type: 'double'},
        {name: 'trades', type: 'int64'},
        {name: 'up', type: 'boolean'},
        {name: 'at_us', type: 'timestamp', unit: 'micros'},
      ],
      partitionBy: [{field: 'timestamp', as: 'date', format: 'day'}, 'symbol'],
    }
    const sink = await SinkHarness.create(parquet, config, {cwd: dir})
    const input = Array.from({length: 300}, (_, n) => ({
      timestamp: new Date(Date.UTC(2026, 11, 1) + n * 600_000).toISOString(),
      symbol: ['BTC', 'ETH', 'A/B'][n % 3],
      price_usd: 50_000 + n * 0.25,
      trades: n % 7 === 0 ? null : String(2n ** 40n + BigInt(n)),
      up: n % 2 === 0,
      at_us: `2026-12-01T00:00:00.000${String(n).padStart(3, '0')}Z`,
    }))
    for (let i = 0; i < 300; i += 50) await sink.deliver(input.slice(i, i + 50), origin(0, i + 50))
    expect(files(join(dir, 'lake'))).to.deep.equal([]) // nothing rolled yet: the rows are in the spool
    await sink.close()
    const root = join(dir, 'lake')
    expect(await lakeTypes(root)).to.deep.equal({
      timestamp: 'TIMESTAMP',
      symbol: 'VARCHAR',
      price_usd: 'DOUBLE',
      trades: 'BIGINT',
      up: 'BOOLEAN',
      at_us: 'TIMESTAMP',
      date: 'DATE',
    })
    const rows = await queryLake(
      root,
      `SELECT strftime(timestamp, '%Y-%m-%dT%H:%M:%S.000Z') AS timestamp, symbol, price_usd, trades::VARCHAR AS trades,
       up, strftime(at_us, '%Y-%m-%dT%H:%M:%S.%fZ') AS at_us FROM LAKE ORDER BY timestamp`,
    )
    expect(rows).to.deep.equal(input)
    const folders = new Set(files(root).map((file) => file.split('/').slice(0, 2).join('/')))
    expect(folders).to.include('date=2026-12-01/symbol=A%2FB').and.include('date=2026-12-03/symbol=BTC')
    expect(files(root).every((file) => /\/part-\d{8}-[0-9a-f]{8}\.parquet$/.test(file))).to.equal(true)
  })

  it('infers columns from the first record and dead-letters values that do not fit them', async () => {
    const sink = await SinkHarness.create(parquet, {path: 'lake'}, {cwd: dir})
    await sink.deliver(
      [
        {ts: '2026-12-01T00:00:00Z', price: 1.5, name: 'a'},
        {ts: '2026-12-01T00:00:01Z', price: 'high', name: 'b'},
        {ts: 'soon', price: 2, name: 'c'},
        {ts: '2026-12-01T00:00:02Z', price: 3, name: 'd', extra: 1},
      ],
      origin(0, 4),
    )
    await sink.close()
    expect(sink.test.rejected.map((r) => [r.record.name, r.code])).to.deep.equal([
      ['b', 'ETL_RECORD_INVALID'],
      ['c', 'ETL_RECORD_INVALID'],
    ])
    expect(sink.test.counts.get('ignored_field')).to.equal(1)
    expect(await lakeTypes(join(dir, 'lake'))).to.deep.equal({ts: 'TIMESTAMP', price: 'DOUBLE', name: 'VARCHAR'})
    expect(await queryLake(join(dir, 'lake'), 'SELECT name FROM LAKE ORDER BY ts')).to.deep.equal([
      {name: 'a'},
      {name: 'd'},
    ])
  })

  it('rolls by row count and by spooled bytes, one file per partition folder each time', async () => {
    const byRows = await SinkHarness.create(
      parquet,
      {path: 'rows', partitionBy: ['k'], roll: {maxRows: 10}},
      {cwd: dir},
    )
    for (let i = 0; i < 25; i += 5)
      await byRows.deliver(
        Array.from({length: 5}, (_, j) => ({k: (i + j) % 2, v: i + j})),
        origin(0, i + 5),
      )
    expect(files(join(dir, 'rows'))).to.have.length(4) // two rolls of 10 rows, two folders each
    await byRows.close()
    expect(files(join(dir, 'rows'))).to.have.length(6)
    expect(await queryLake(join(dir, 'rows'), 'SELECT count(*)::INT AS n, sum(v)::INT AS s FROM LAKE')).to.deep.equal([
      {n: 25, s: 300},
    ])

    const bySize = await SinkHarness.create(parquet, {path: 'size', roll: {maxBytes: 2048}}, {cwd: dir})
    for (let i = 0; i < 10; i++) await bySize.deliver([{text: 'x'.repeat(500), i}], origin(0, i + 1))
    expect(files(join(dir, 'size')).length).to.be.within(2, 3)
    await bySize.close()
  })

  it('rolls by age between flushes, and close() stops the timer', async () => {
    const clock = new TestClock({start: Date.UTC(2026, 11, 1)})
    const sink = await SinkHarness.create(parquet, {path: 'age', roll: {maxAge: '200ms'}}, {cwd: dir, clock})
    await sink.deliver([{v: 1}], origin(0, 1))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(files(join(dir, 'age'))).to.deep.equal([]) // the sink's clock has not moved
    await clock.advance(250)
    for (let i = 0; i < 40 && files(join(dir, 'age')).length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 50))
    expect(files(join(dir, 'age'))).to.have.length(1)
    await sink.close()
    expect(files(join(dir, 'age'))).to.have.length(1)
  })

  it('writes snappy, gzip, zstd and uncompressed files that DuckDB reads', async () => {
    for (const compression of ['snappy', 'gzip', 'zstd', 'uncompressed']) {
      const sink = await SinkHarness.create(parquet, {path: compression, compression}, {cwd: dir})
      await sink.deliver(
        Array.from({length: 1000}, (_, v) => ({v, s: `row ${v % 10}`})),
        origin(0, 1),
      )
      await sink.close()
      const [row] = await queryLake(join(dir, compression), 'SELECT count(*)::INT AS n, sum(v)::INT AS s FROM LAKE')
      expect(row, compression).to.deep.equal({n: 1000, s: 499_500})
    }
  })
})

describe('parquet sink: kill -9 while writing, then restart', function () {
  this.timeout(240_000)
  let dir: string
  const children: ChildProcess[] = []
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'etl-parquet-kill-'))))
  afterEach(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    rmSync(dir, {recursive: true, force: true})
  })

  /** Runs the child until it is done, or kills it with -9 after `killAfterMs`; true when it finished. */
  function runChild(config: object, batches: number, rows: number, killAfterMs?: number): Promise<boolean> {
    const args = ['--import', 'tsx', CHILD, dir, JSON.stringify(config), String(batches), String(rows)]
    const child = spawn(process.execPath, args, {stdio: ['ignore', 'pipe', 'inherit']})
    children.push(child)
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    let started: NodeJS.Timeout | undefined
    if (killAfterMs !== undefined)
      child.stdout!.once('data', () => (started = setTimeout(() => child.kill('SIGKILL'), killAfterMs)))
    return new Promise((resolve) =>
      child.on('exit', () => {
        clearTimeout(started)
        resolve(output.includes('"done":true'))
      }),
    )
  }

  it('the lake holds every input row exactly once, and never a half file', async () => {
    const config = {
      path: 'lake',
      partitionBy: [{field: 'timestamp', as: 'date', format: 'day'}, 'symbol'],
      roll: {maxRows: 120},
    }
    const batches = 400
    const rows = 10
    const random = seededRandom(20261201)
    const root = join(dir, 'lake')
    let kills = 0
    for (let round = 0; round < 8; round++) {
      if (await runChild(config, batches, rows, Math.floor(random() * 400))) break
      kills++
      // What a reader sees after the crash: whole files only (DuckDB would fail on a torn one), no row twice.
      if (files(root).length > 0) {
        const [seen] = await queryLake(root, 'SELECT count(*)::INT AS n, count(DISTINCT n)::INT AS d FROM LAKE')
        expect(seen.n, `after kill ${kills}`).to.equal(seen.d)
      }
    }
    expect(kills).to.be.greaterThan(2)
    expect(await runChild(config, batches, rows)).to.equal(true)
    const [all] = await queryLake(
      root,
      'SELECT count(*)::INT AS n, count(DISTINCT n)::INT AS d, min(n)::INT AS lo, max(n)::INT AS hi FROM LAKE',
    )
    expect(all).to.deep.equal({n: batches * rows, d: batches * rows, lo: 0, hi: batches * rows - 1})
    const wrong = await queryLake(
      root,
      `SELECT n FROM LAKE WHERE symbol <> (['BTC','ETH','SOL'])[n::BIGINT % 3 + 1] OR price_usd <> 50000 + n / 8
       OR date <> timestamp::DATE LIMIT 5`,
    )
    expect(wrong).to.deep.equal([])
    expect(readdirSync(join(root, '_etl', 'tmp'))).to.deep.equal([])
  })
})

describe('parquet sink: full disk', function () {
  this.timeout(60_000)
  let mount: string
  let mounted = false

  before(function () {
    mount = mkdtempSync(join(tmpdir(), 'etl-parquet-full-'))
    const result = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount], {encoding: 'utf8'})
    mounted = result.status === 0
    if (!mounted) {
      console.log(`      (skipped: cannot mount a 1 MiB tmpfs here: ${(result.stderr || result.error?.message) ?? ''})`)
      this.skip()
    }
  })
  after(() => {
    if (mounted) spawnSync('umount', ['-l', mount]) // lazily: a failed test may leave a file open
    rmSync(mount, {recursive: true, force: true})
  })

  const filler = () => join(mount, 'filler')
  /** Leaves about `free` bytes free on the tmpfs. */
  function fill(free: number): void {
    rmSync(filler(), {force: true})
    const {bavail, bsize} = statfs()
    writeFileSync(filler(), Buffer.alloc(Math.max(0, bavail * bsize - free)))
  }
  function statfs(): {bavail: number; bsize: number} {
    const out = spawnSync('stat', ['-f', '-c', '%a %S', mount], {encoding: 'utf8'}).stdout.trim().split(' ')
    return {bavail: Number(out[0]), bsize: Number(out[1])}
  }
  /** 100 rows of ~220 bytes each, whose text does not compress (no dictionary, no repeats). */
  const batch = (from: number) =>
    Array.from({length: 100}, (_, i) => ({n: from + i, text: randomBytes(100).toString('hex')}))

  it('a flush that does not fit fails with ETL_SINK_DISK_FULL, records nothing, then succeeds with room', async () => {
    const root = join(mount, 'lake')
    mkdirSync(root, {recursive: true})
    const sink = await SinkHarness.create(parquet, {path: root, roll: {maxRows: 1000}}, {cwd: mount})
    await sink.deliver(batch(0), origin(0, 100))
    const before = readFileSync(join(root, '_etl', 'state.json'), 'utf8')
    fill(8 * 1024)
    await sink.write(batch(100), origin(0, 200))
    const error = await sink.flush().catch((e: unknown) => e)
    expect(error).to.have.property('code', 'ETL_SINK_DISK_FULL')
    expect((error as Error).message).to.match(/no space left while appending to the spool \(ENOSPC\)/)
    expect(readFileSync(join(root, '_etl', 'state.json'), 'utf8')).to.equal(before)
    rmSync(filler())
    await sink.flush() // the runtime's retry
    await sink.close()
    const [row] = await queryLake(root, 'SELECT count(*)::INT AS n, count(DISTINCT n)::INT AS d FROM LAKE')
    expect(row).to.deep.equal({n: 200, d: 200})
    rmSync(root, {recursive: true})
  })

  it('a roll whose Parquet file does not fit fails with the code, leaving the spooled rows to roll', async () => {
    const root = join(mount, 'lake2')
    const sink = await SinkHarness.create(
      parquet,
      {path: root, roll: {maxRows: 300}, compression: 'uncompressed'},
      {cwd: mount},
    )
    await sink.deliver(batch(0), origin(0, 100))
    await sink.deliver(batch(100), origin(0, 200))
    fill(48 * 1024) // room for the spool's third batch (22 KB), not for an uncompressed file of 300 rows (60 KB)
    const error = await sink.deliver(batch(200), origin(0, 300)).catch((e: unknown) => e)
    expect(error).to.have.property('code', 'ETL_SINK_DISK_FULL')
    expect((error as Error).message).to.match(/writing Parquet files/)
    expect(files(root)).to.deep.equal([])
    expect(readdirSync(join(root, '_etl', 'tmp'))).to.deep.equal([])
    rmSync(filler())
    await sink.close()
    const again = await SinkHarness.create(parquet, {path: root}, {cwd: mount})
    expect(again.positions).to.deep.equal({0: 300})
    await again.close()
    const [row] = await queryLake(root, 'SELECT count(*)::INT AS n, count(DISTINCT n)::INT AS d FROM LAKE')
    expect(row).to.deep.equal({n: 300, d: 300})
  })
})
