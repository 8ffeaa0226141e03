/**
 * Start-up of a lake left by a crash, built on disk by hand so each case is exactly the moment it names: a torn or
 * unrecorded spool tail, renames recorded but not done, temporary files no state records. The lake is then read back
 * with DuckDB.
 */
import {expect} from 'chai'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import parquet from '../../../../src/plugins/sink/parquet/index.js'
import type {Column} from '../../../../src/plugins/sink/parquet/column-types.js'
import {writeTemp} from '../../../../src/plugins/sink/parquet/lake-files.js'
import {EMPTY_STATE, writeState, type LakeState} from '../../../../src/plugins/sink/parquet/lake-state.js'
import {encodeParquet} from '../../../../src/plugins/sink/parquet/parquet-encode.js'
import {spoolLine} from '../../../../src/plugins/sink/parquet/row-encoder.js'
import {spoolPathOf} from '../../../../src/plugins/sink/parquet/spool-file.js'
import {origin, SinkHarness} from '../../../../src/testing/index.js'
import {queryLake} from '../../../support/duckdb-lake.js'

const COLUMNS: Column[] = [
  {name: 'n', type: 'int64'},
  {name: 'symbol', type: 'string'},
]
const CONFIG = {path: 'lake', columns: COLUMNS, partitionBy: ['symbol'], roll: {maxRows: 1000}}

describe('parquet sink: recovery at start-up', () => {
  let dir: string
  let root: string

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'etl-parquet-recovery-'))
    root = join(dir, 'lake')
    mkdirSync(join(root, '_etl', 'tmp'), {recursive: true})
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  const state = (overrides: Partial<LakeState>): LakeState => ({
    ...EMPTY_STATE,
    topic: 'test-topic',
    columns: COLUMNS,
    ...overrides,
  })
  const lines = (from: number, to: number) =>
    Array.from({length: to - from}, (_, i) => spoolLine({partition: 'symbol=BTC', values: [String(from + i), 'BTC']}))
  const numbers = async () => (await queryLake(root, 'SELECT n FROM LAKE ORDER BY n')).map((row) => Number(row.n))

  it('cuts the spool back to its recorded length (a torn or unrecorded tail) and keeps the recorded rows', async () => {
    const recorded = lines(0, 3).join('')
    writeFileSync(spoolPathOf(root), recorded + lines(3, 5).join('') + '["symbol=BTC","5",')
    await writeState(root, state({spoolBytes: Buffer.byteLength(recorded), partitions: new Map([[0, 3n]])}), true)
    const sink = await SinkHarness.create(parquet, CONFIG, {cwd: dir})
    expect(sink.positions).to.deep.equal({0: 3})
    expect(readFileSync(spoolPathOf(root), 'utf8')).to.equal(recorded)
    expect(sink.test.logs.join('\n')).to.match(/removed the last \d+ byte\(s\) of .*spool\.jsonl/)
    await sink.deliver([{n: 3, symbol: 'BTC'}], origin(0, 4))
    await sink.close()
    expect(await numbers()).to.deep.equal([0, 1, 2, 3])
  })

  it('finishes renames recorded before a crash, and does not repeat those already done', async () => {
    const rows = [['7', 'ETH']]
    await writeTemp(
      root,
      join('_etl', 'tmp', 'part-00000001-aaaa.parquet.tmp'),
      await encodeParquet(COLUMNS, rows, 'snappy'),
      true,
    )
    mkdirSync(join(root, 'symbol=SOL'))
    writeFileSync(
      join(root, 'symbol=SOL', 'part-00000002-bbbb.parquet'),
      await encodeParquet(COLUMNS, [['8', 'SOL']], 'snappy'),
    )
    const pending = [
      {
        temp: join('_etl', 'tmp', 'part-00000001-aaaa.parquet.tmp'),
        final: join('symbol=ETH', 'part-00000001-aaaa.parquet'),
      },
      {
        temp: join('_etl', 'tmp', 'part-00000002-bbbb.parquet.tmp'),
        final: join('symbol=SOL', 'part-00000002-bbbb.parquet'),
      },
    ]
    writeFileSync(spoolPathOf(root), lines(0, 2).join('')) // consumed by the roll: the state says 0
    await writeState(root, state({pending, nextFile: 3, partitions: new Map([[0, 9n]])}), true)
    const sink = await SinkHarness.create(parquet, CONFIG, {cwd: dir})
    expect(sink.positions).to.deep.equal({0: 9})
    expect(sink.test.logs.join('\n')).to.match(/finished 1 file rename\(s\) a crash interrupted/)
    expect(JSON.parse(readFileSync(join(root, '_etl', 'state.json'), 'utf8')).pending).to.deep.equal([])
    await sink.close()
    expect(await numbers()).to.deep.equal([7, 8])
  })

  it('deletes temporary files no state records (a roll that crashed before recording them)', async () => {
    const stray = join(root, '_etl', 'tmp', 'part-00000001-cccc.parquet.tmp')
    writeFileSync(stray, 'PAR1 half a file')
    const recorded = lines(0, 2).join('')
    writeFileSync(spoolPathOf(root), recorded)
    await writeState(root, state({spoolBytes: Buffer.byteLength(recorded), partitions: new Map([[0, 2n]])}), true)
    const sink = await SinkHarness.create(parquet, CONFIG, {cwd: dir})
    expect(existsSync(stray)).to.equal(false)
    expect(sink.test.logs.join('\n')).to.match(/removed 1 unfinished temporary file/)
    await sink.close()
    expect(await numbers()).to.deep.equal([0, 1])
  })

  it('refuses a state file that is not one, naming it', async () => {
    writeFileSync(join(root, '_etl', 'state.json'), '{"version": 1, "spool')
    const error = await SinkHarness.create(parquet, CONFIG, {cwd: dir}).catch((e: unknown) => e)
    expect(error).to.have.property('code', 'ETL_SINK_PERMANENT')
    expect((error as Error).message).to.match(/state\.json is unreadable/)
  })

  it('ignores a pending rename that points outside the lake (a state file edited by hand)', async () => {
    const outside = join(dir, 'victim.txt')
    writeFileSync(join(root, '_etl', 'tmp', 'x.parquet.tmp'), 'data')
    await writeState(
      root,
      state({pending: [{temp: join('_etl', 'tmp', 'x.parquet.tmp'), final: '../victim.txt'}]}),
      true,
    )
    const sink = await SinkHarness.create(parquet, CONFIG, {cwd: dir})
    await sink.close()
    expect(existsSync(outside)).to.equal(false)
  })
})
