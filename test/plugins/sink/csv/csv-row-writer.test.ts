import {expect} from 'chai'
import {parse} from 'csv-parse/sync'
import {stringify} from 'csv-stringify/sync'
import {neutralizeFormula} from '../../../../src/plugins/sink/csv/csv-formula-guard.js'
import {
  createCsvRowWriter,
  csvStringifyOptions,
  type CsvRowOptions,
} from '../../../../src/plugins/sink/csv/csv-row-writer.js'

const AWKWARD: unknown[] = [
  'plain',
  '',
  ' spaced ',
  'com,ma',
  'semi;colon',
  'tab\there',
  'pipe|here',
  'quote"inside',
  '"quoted"',
  'line\nbreak',
  'cr\rhere',
  'crlf\r\n',
  'ünï€ødé 😀',
  '=1+2',
  '@SUM(A1)',
  '+A1',
  '-5',
  '-cmd',
  '\tlead',
  '||',
  'a|',
  0,
  -0,
  1.5,
  -2.25,
  1e21,
  1e-7,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  12345678901234567890n,
  true,
  false,
  null,
  undefined,
  {a: 1, b: 'x,y'},
  [1, 'two', null],
  new Date(Date.UTC(2011, 7, 18, 12, 35)),
]

/** Every awkward value in every column position, rows of three. */
function awkwardRecords(): Record<string, unknown>[] {
  return AWKWARD.map((value, i) => ({
    a: value,
    b: AWKWARD[(i * 7 + 3) % AWKWARD.length],
    c: i % 2 === 0 ? AWKWARD[(i * 5) % AWKWARD.length] : i,
  }))
}

/** What the csv sink wrote before the row writer existed: csv-stringify over arrays of the columns. */
function viaCsvStringify(records: Record<string, unknown>[], columns: string[], options: CsvRowOptions): string {
  return stringify(
    records.map((record) => columns.map((column) => record[column])),
    csvStringifyOptions(options),
  )
}

describe('csv row writer', () => {
  for (const delimiter of [',', ';', '\t', '|', '.', 'e', '||', '::']) {
    for (const [guard, castString] of [
      ['guarded', neutralizeFormula],
      ['unguarded', (text: string) => text],
    ] as const) {
      it(`writes the same bytes as csv-stringify (delimiter ${JSON.stringify(delimiter)}, ${guard})`, () => {
        const options = {delimiter, castString}
        const records = awkwardRecords()
        const written = createCsvRowWriter(['a', 'b', 'c'], options)(records)
        expect(written).to.equal(viaCsvStringify(records, ['a', 'b', 'c'], options))
        expect(written.length).to.be.greaterThan(records.length)
      })
    }
  }

  it('quotes numbers, bigints and booleans exactly as csv-stringify does when the delimiter can occur in them', () => {
    // The writer skips the quoting check for these cells unless the delimiter is a letter, digit, _, ".", "+" or "-".
    const values: unknown[] = [
      1e21,
      -1e-7,
      1.5,
      -2,
      0,
      Number.NaN,
      Number.NEGATIVE_INFINITY,
      12345678901234567890n,
      -5n,
      true,
      false,
    ]
    const records = values.map((value, i) => ({a: value, b: values[(i + 3) % values.length], c: 'text'}))
    for (const delimiter of [
      '+',
      '-',
      '.',
      'e',
      'E',
      'I',
      'N',
      'a',
      'f',
      'l',
      's',
      't',
      'y',
      '0',
      '1',
      '9',
      '_',
      ']',
      '\\',
      '^',
      '\ud83d',
    ]) {
      const options = {delimiter, castString: neutralizeFormula}
      expect(createCsvRowWriter(['a', 'b', 'c'], options)(records), JSON.stringify(delimiter)).to.equal(
        viaCsvStringify(records, ['a', 'b', 'c'], options),
      )
    }
    const emoji = [{a: 'ünï 😀', b: 1}]
    const options = {delimiter: '\ud83d', castString: neutralizeFormula}
    expect(createCsvRowWriter(['a', 'b'], options)(emoji)).to.equal(viaCsvStringify(emoji, ['a', 'b'], options))
  })

  it('reads back as the cells it was given (single-character delimiter, quoting and formula guard)', () => {
    const records = [
      {symbol: 'BTC', note: 'a,"b"\nc', price: 10.9, up: true},
      {symbol: '=HYPERLINK("x")', note: '', price: -5, up: false},
    ]
    const text = createCsvRowWriter(['symbol', 'note', 'price', 'up'], {delimiter: ',', castString: neutralizeFormula})(
      records,
    )
    expect(parse(text)).to.deep.equal([
      ['BTC', 'a,"b"\nc', '10.9', 'true'],
      ['\'=HYPERLINK("x")', '', '-5', 'false'],
    ])
  })

  it('writes columns in the given order, missing fields as empty cells, extra fields not at all', () => {
    const text = createCsvRowWriter(['b', 'a', 'missing'], {delimiter: ';', castString: (t) => t})([
      {a: 1, b: 'two', extra: 'x'},
    ])
    expect(text).to.equal('two;1;\n')
  })

  it('writes nothing for no records', () => {
    expect(createCsvRowWriter(['a'], {delimiter: ',', castString: (t) => t})([])).to.equal('')
  })
})
