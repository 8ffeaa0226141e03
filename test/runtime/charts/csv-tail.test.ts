import {appendFile, mkdtemp, rename, rm, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {CsvTail} from '../../../src/runtime/charts/csv-tail.js'

describe('CsvTail', () => {
  let dir: string
  let file: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-csv-tail-'))
    file = join(dir, 'prices.csv')
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  it('yields nothing for a file that does not exist yet, then its rows once written', async () => {
    const tail = new CsvTail(file)
    expect(await tail.read()).to.deep.equal({reset: false, rows: [], skipped: 0})
    await writeFile(file, 'timestamp,price_usd\n2025-01-01T00:00:00Z,1\n')
    expect((await tail.read()).rows).to.deep.equal([{timestamp: '2025-01-01T00:00:00Z', price_usd: '1'}])
  })

  it('returns only rows appended since the last read', async () => {
    await writeFile(file, 'a,b\n1,2\n')
    const tail = new CsvTail(file)
    expect((await tail.read()).rows).to.deep.equal([{a: '1', b: '2'}])
    expect((await tail.read()).rows).to.deep.equal([])
    await appendFile(file, '3,4\n5,6\n')
    expect((await tail.read()).rows).to.deep.equal([
      {a: '3', b: '4'},
      {a: '5', b: '6'},
    ])
  })

  it('leaves a half-written last line for the next read', async () => {
    await writeFile(file, 'a,b\n1,2\n3,')
    const tail = new CsvTail(file)
    expect((await tail.read()).rows).to.deep.equal([{a: '1', b: '2'}])
    await appendFile(file, '4\n')
    expect((await tail.read()).rows).to.deep.equal([{a: '3', b: '4'}])
  })

  it('waits for a quoted field whose newline the writer has not closed yet', async () => {
    await writeFile(file, 'a,b\n1,"x\n')
    const tail = new CsvTail(file)
    expect((await tail.read()).rows).to.deep.equal([])
    await appendFile(file, 'y"\n')
    expect((await tail.read()).rows).to.deep.equal([{a: '1', b: 'x\ny'}])
  })

  it('starts over, with reset, when the file is truncated', async () => {
    await writeFile(file, 'a\n1\n2\n')
    const tail = new CsvTail(file)
    await tail.read()
    await truncate(file, 0)
    await writeFile(file, 'a\n9\n')
    const result = await tail.read()
    expect(result.reset).to.equal(true)
    expect(result.rows).to.deep.equal([{a: '9'}])
  })

  it('starts over when the file is replaced by another one', async () => {
    await writeFile(file, 'a\n1\n2\n3\n')
    const tail = new CsvTail(file)
    await tail.read()
    await writeFile(join(dir, 'next.csv'), 'a\n7\n8\n9\n10\n')
    await rename(join(dir, 'next.csv'), file)
    const result = await tail.read()
    expect(result.reset).to.equal(true)
    expect(result.rows.map((row) => row.a)).to.deep.equal(['7', '8', '9', '10'])
  })

  it('reads a file larger than one read slice completely, in order', async () => {
    const rows = Array.from({length: 200_000}, (_, i) => `${i},${'x'.repeat(20)}`)
    await writeFile(file, `n,pad\n${rows.join('\n')}\n`)
    const result = await new CsvTail(file).read()
    expect(result.rows).to.have.length(200_000)
    expect(result.rows[0].n).to.equal('0')
    expect(result.rows[199_999].n).to.equal('199999')
    expect(result.rows.every((row, i) => row.n === String(i))).to.equal(true)
  })
})
