import {mkdtemp, open, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {headerMismatch, parseHeader, readFirstLine} from '../../../../src/plugins/sink/csv/csv-header.js'

describe('csv sink: header of an existing file', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-csv-header-'))
  })
  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  async function firstLine(text: string | Buffer) {
    const path = join(dir, 'file.csv')
    await writeFile(path, text)
    const handle = await open(path, 'r')
    try {
      return await readFirstLine(handle)
    } finally {
      await handle.close()
    }
  }

  it('reads the first line and where it ends, without its \\r\\n', async () => {
    expect(await firstLine('a,b\r\n1,2\n')).to.deep.equal({text: 'a,b', end: 5})
    expect(await firstLine('a,b\n1,2\n')).to.deep.equal({text: 'a,b', end: 4})
  })

  it('says when the first line has no line break yet (a header still being written)', async () => {
    expect(await firstLine('a,b')).to.deep.equal({text: 'a,b', end: undefined})
  })

  it('finds a line break beyond the first read chunk', async () => {
    const long = 'x'.repeat(100_000)
    expect(await firstLine(`${long}\nrow\n`)).to.deep.equal({text: long, end: 100_001})
  })

  it('decodes the header as CSV with the delimiter, without a BOM', () => {
    expect(parseHeader('\uFEFFa;"b;c"', ';')).to.deep.equal(['a', 'b;c'])
    expect(parseHeader('', ',')).to.equal(undefined)
  })

  it('describes a header that differs from the columns, and nothing for the same one', () => {
    expect(headerMismatch('f.csv', ['a', 'b'], ['a', 'b'], ',')).to.equal(undefined)
    expect(headerMismatch('f.csv', ['a', 'b'], ['b', 'a'], ';')).to.equal(
      'f.csv already has the header a;b, which differs from columns b;a; write to another file or make columns match',
    )
  })
})
