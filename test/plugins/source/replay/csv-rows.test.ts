import {expect} from 'chai'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {CsvFastLines} from '../../../../src/plugins/source/replay/csv-fast-lines.js'
import {readCsvRowBatches, type CsvRow} from '../../../../src/plugins/source/replay/csv-rows.js'
import {referenceRows} from '../../../support/csv-parse-reference.js'
import {seededRandom} from '../../../support/seeded-random.js'

interface Reading {
  /** Rows as JSON: keeps key order and tells a missing key from an undefined one. */
  rows: string
  skips: [number, string][]
}

async function readReference(path: string): Promise<Reading> {
  const rows: CsvRow[] = []
  const skips: [number, string][] = []
  for await (const row of referenceRows(path, (line, reason) => skips.push([line, reason]))) rows.push(row)
  return {rows: JSON.stringify(rows.map((row) => [row.line, Object.entries(row.values)])), skips}
}

async function readBatches(path: string, chunkBytes?: number): Promise<Reading & {batches: number}> {
  const rows: CsvRow[] = []
  const skips: [number, string][] = []
  let batches = 0
  const onSkip = (line: number, reason: string) => skips.push([line, reason])
  for await (const batch of readCsvRowBatches(path, new AbortController().signal, onSkip, chunkBytes)) {
    expect(batch).to.have.length.above(0)
    batches++
    rows.push(...batch)
  }
  return {rows: JSON.stringify(rows.map((row) => [row.line, Object.entries(row.values)])), skips, batches}
}

const BOM = '\uFEFF'
const CASES: Record<string, string | Buffer> = {
  'plain LF': 'a,b,c\n1,2,3\n4,5,6\n',
  'plain LF without final newline': 'a,b,c\n1,2,3\n4,5,6',
  CRLF: 'a,b,c\r\n1,2,3\r\n4,5,6\r\n',
  'CRLF without final newline': 'a,b,c\r\n1,2,3\r\n4,5,6',
  BOM: `${BOM}a,b\n1,2\n`,
  'BOM CRLF': `${BOM}a,b\r\n1,2\r\n`,
  'two BOMs': `${BOM}${BOM}a,b\n1,2\n`,
  'BOM only': BOM,
  'BOM then newline': `${BOM}\n`,
  'empty file': '',
  'only newlines': '\n\n\n',
  'only CRLFs': '\r\n\r\n',
  'empty lines at start, middle, end': '\n\na,b\n\n1,2\n\n\n3,4\n\n',
  'CRLF empty lines': '\r\n\r\na,b\r\n\r\n1,2\r\n\r\n\r\n3,4\r\n\r\n',
  'whitespace-only lines': 'a,b\n   \n1,2\n\t\n \n',
  'comma-only lines': 'a,b\n,\n1,2\n,,,\n',
  'short and long rows': 'a,b,c\n1\n1,2\n1,2,3,4,5\n\n,\n',
  'header with spaces': ' a , b ,c \n1,2,3\n',
  'duplicate and empty header names': 'a,,a, \n1,2,3,4\n',
  'header only': 'a,b\n',
  'header only, no newline': 'a,b',
  'one short file': 'x',
  'two bytes': 'x\n',
  'utf-8 text': 'name,city\né,你好\n😀,ü😀é\n你好你好,😀😀😀\n',
  'utf-8 header': 'prix €,名字\n1,2\n',
  'proto keys': '__proto__,constructor,toString\n1,2,3\n',
  'numeric keys': 'b,2,a,1\nw,x,y,z\n',
  'quote in line 1': '"a",b\n1,2\n3,4\n',
  'quote in the middle': 'a,b\n1,2\n"3",4\n5,6\n',
  'quote in the last line': 'a,b\n1,2\n3,4\n"5",6',
  'quote after empty lines before the header': '\n\n"a",b\n1,2\n',
  'stray quote inside a cell': 'a,b\n1,2\n3x"y,4\n5,6\n',
  'quoted field with newline and comma': 'a,b\n1,2\n"x\ny,z",3\n4,5\n',
  'quoted field with CRLF inside': 'a,b\r\n1,2\r\n"x\r\ny",3\r\n4,5\r\n',
  'unclosed quote at the end': 'a,b\n1,2\n3,"4\n5,6\n',
  'bad closing quote': 'a,b\n1,2\n"3"x,4\n5,6\n',
  'escaped quotes': 'a,b\n1,2\n"3""x",4\n5,6\n',
  'CR line breaks': 'a,b\r1,2\r3,4\r',
  'LF file with a CRLF line': 'a,b\n1,2\r\n3,4\n',
  'LF file with a stray CR': 'a,b\n1,\r2\n3,4\n',
  'LF file with a CR-only line': 'a,b\n1,2\n\r\n3,4\n',
  'CRLF file with a LF line': 'a,b\r\n1,2\n3,4\r\n5,6\r\n',
  'CRLF file with a stray CR': 'a,b\r\n1,2\r3,4\r\n5,6\r\n',
  'CRLF file with an empty LF line': 'a,b\r\n1,2\r\n\n3,4\r\n',
  'CRLF file ending in CR': 'a,b\r\n1,2\r',
  'header then CR': 'a,b\r',
  'UTF-16 BOM': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n1,2\n', 'utf16le')]),
  'invalid UTF-8': Buffer.concat([
    Buffer.from('a,b\n'),
    Buffer.from([0xc3, 0x2c, 0xe4, 0xbd, 0x0a, 0x80, 0xff, 0x2c, 0xf0, 0x9f, 0x98]),
    Buffer.from('\n1,2\n'),
  ]),
}

const CELLS = ['1', '12.5', 'abc', '', ' ', '  x ', 'é', '你好', '😀', 'ü😀é你', '1e3', '-0', '\t']
const QUOTED = ['"q"', '"a,b"', '"x\ny"', '"x\r\ny,z"', 'x"y', '"un', '"a"b', '""', '"é😀"']

/** A file from the same ingredients as the cases above, mostly clean, now and then with quotes or stray breaks. */
function randomFile(seed: number): Buffer {
  const next = seededRandom(seed)
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]
  const crlf = next() < 0.4
  const lineBreak = crlf ? '\r\n' : '\n'
  const quoteChance = next() < 0.5 ? 0 : 0.03
  const strayChance = next() < 0.7 ? 0 : 0.02
  const columns = 1 + Math.floor(next() * 5)
  let text = next() < 0.3 ? BOM : ''
  const header = Array.from({length: columns}, (_, i) => (next() < 0.2 ? ` c${i} ` : `c${i}`))
  if (next() < 0.2) text += lineBreak.repeat(1 + Math.floor(next() * 2))
  text += header.join(',') + lineBreak
  const rows = Math.floor(next() * 40)
  for (let row = 0; row < rows; row++) {
    const kind = next()
    if (kind < 0.1) text += lineBreak
    else if (kind < 0.15) text += pick(['   ', ',', ',,', '\t'])
    else {
      const cells = Array.from({length: Math.max(1, columns + Math.floor(next() * 5) - 2)}, () =>
        next() < quoteChance ? pick(QUOTED) : pick(CELLS),
      )
      text += cells.join(',')
    }
    if (next() < strayChance) text += pick(['\r', '\n', 'x\ry'])
    if (row < rows - 1 || next() < 0.7) text += lineBreak
  }
  return Buffer.from(text)
}

describe('readCsvRowBatches', () => {
  let dir: string
  let count = 0
  const fileWith = (content: string | Buffer) => {
    const path = join(dir, `case-${count++}.csv`)
    writeFileSync(path, content)
    return path
  }
  /** The new reader, with chunks small enough to split lines and UTF-8 characters, and with the default chunks. */
  const expectSameAsReference = async (content: string | Buffer, label: string) => {
    const path = fileWith(content)
    const expected = await readReference(path)
    for (const chunkBytes of [1, 2, 3, 7, 64, undefined]) {
      const actual = await readBatches(path, chunkBytes)
      expect(actual.rows, `${label}, chunks of ${chunkBytes ?? 'default'} bytes: rows`).to.equal(expected.rows)
      expect(actual.skips, `${label}, chunks of ${chunkBytes ?? 'default'} bytes: skips`).to.deep.equal(expected.skips)
    }
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'etl-csv-rows-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  for (const [label, content] of Object.entries(CASES)) {
    it(`reads like csv-parse: ${label}`, () => expectSameAsReference(content, label))
  }

  it('reads 400 seeded random files like csv-parse', async function () {
    this.timeout(600_000)
    for (let seed = 1; seed <= 400; seed++) await expectSameAsReference(randomFile(seed), `seed ${seed}`)
  })

  it('hands a large file over to csv-parse late, tens of thousands of lines in', async function () {
    this.timeout(120_000)
    for (const lineBreak of ['\n', '\r\n']) {
      const lines = Array.from({length: 40_000}, (_, i) => (i % 997 === 0 ? '' : `${i},${i / 7},é你😀${i}`))
      lines.splice(35_000, 0, '"quoted\nacross lines, with a comma",1,2', '3,"bad"quote,4')
      const path = fileWith(['a,b,c', ...lines, '5,"unclosed'].join(lineBreak))
      const expected = await readReference(path)
      expect(expected.skips).to.have.length(1)
      for (const chunkBytes of [4093, undefined]) {
        const actual = await readBatches(path, chunkBytes)
        expect(actual.rows).to.equal(expected.rows)
        expect(actual.skips).to.deep.equal(expected.skips)
      }
    }
  })

  it('keeps line numbers, rows and skip reports of a bad quoted row', async () => {
    const path = fileWith('a,b\n1,2\n\n3,"4\n')
    const actual = await readBatches(path)
    expect(JSON.parse(actual.rows)).to.deep.equal([
      [
        2,
        [
          ['a', '1'],
          ['b', '2'],
        ],
      ],
    ])
    expect(actual.skips).to.have.length(1)
    expect(actual.skips[0][0]).to.equal(4)
    expect(actual.skips[0][1]).to.contain('at line 4')
  })

  it('yields one batch per chunk rather than one per row', async () => {
    const path = fileWith('a,b\n' + Array.from({length: 1000}, (_, i) => `${i},${i * 2}\n`).join(''))
    const {rows, batches} = await readBatches(path)
    expect(JSON.parse(rows)).to.have.length(1000)
    expect(batches).to.equal(1)
  })

  it('stops at an aborted signal', async () => {
    const path = fileWith('a\n' + Array.from({length: 5000}, (_, i) => `${i}`).join('\n'))
    const controller = new AbortController()
    let rows = 0
    for await (const batch of readCsvRowBatches(path, controller.signal, () => {}, 1024)) {
      rows += batch.length
      controller.abort()
    }
    expect(rows).to.be.greaterThan(0).and.lessThan(5000)
  })

  it('fails with the file error for a missing file', async () => {
    const rows = readCsvRowBatches(join(dir, 'missing.csv'), new AbortController().signal, () => {})
    let error: unknown
    try {
      for await (const batch of rows) expect(batch).to.equal(undefined)
    } catch (caught) {
      error = caught
    }
    expect((error as NodeJS.ErrnoException | undefined)?.code).to.equal('ENOENT')
  })
})

describe('CsvFastLines', () => {
  it('reads a quote-free file without handing anything to csv-parse', () => {
    for (const text of ['a,b\n1,2\n3,4\n', 'a,b\r\n1,2\r\n\r\n3,4']) {
      const lines = new CsvFastLines()
      const rows = [...lines.push(Buffer.from(text)), ...lines.end()]
      expect(lines.handoff).to.equal(undefined)
      expect(rows.map((row) => row.line)).to.deep.equal(text.includes('\r') ? [2, 4] : [2, 3])
    }
  })

  it('hands csv-parse one empty line per consumed line and the rest from the first line with a quote', () => {
    const lines = new CsvFastLines()
    const rows = lines.push(Buffer.from('a,b\r\n1,2\r\n"3",4\r\n5,6\r\n'))
    expect(rows.map((row) => row.values)).to.deep.equal([{a: '1', b: '2'}])
    expect(lines.handoff?.columns).to.deep.equal(['a', 'b'])
    expect(Buffer.concat([...lines.handoff!.head]).toString()).to.equal('\r\n\r\n"3",4\r\n5,6\r\n')
  })
})
