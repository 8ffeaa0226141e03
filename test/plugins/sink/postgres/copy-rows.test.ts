import {expect} from 'chai'
import {coerceCell, type Column} from '../../../../src/plugins/sink/postgres/column-types.js'
import {binaryEncodable, copyLine} from '../../../../src/plugins/sink/postgres/copy-rows.js'
import type {BufferedRow} from '../../../../src/plugins/sink/postgres/row-buffer.js'

const row = (...values: BufferedRow['values']): BufferedRow => ({values, record: {}})

describe('postgres sink COPY (copy-rows.ts)', () => {
  it('writes a text-format line: tabs between values, \\N for NULL, backslash, tab, newline and CR escaped', () => {
    expect(copyLine(['BTC', 60000.5, null, 'a\tb\nc\rd\\e', ''])).to.equal('BTC\t60000.5\t\\N\ta\\tb\\nc\\rd\\\\e\t\n')
  })

  it('goes binary only when every column type and every value has an exact binary form', () => {
    const ticks: Column[] = [
      {name: 'symbol', type: 'text'},
      {name: 'price', type: 'double precision'},
      {name: 'at', type: 'timestamptz'},
    ]
    const canonical = row('BTC', 1.5, '2026-12-01T00:00:00.123Z')
    expect(binaryEncodable(ticks, [canonical, row(null, null, null)])).to.equal(true)
    // Microseconds or an offset: PostgreSQL reads the text, exactly.
    expect(binaryEncodable(ticks, [canonical, row('BTC', 1.5, '2026-12-01T00:00:00.123456Z')])).to.equal(false)
    expect(binaryEncodable(ticks, [canonical, row('BTC', 1.5, '2026-12-01T02:00:00+02:00')])).to.equal(false)
    // A price PostgreSQL is to refuse stays text, so the COPY goes as text and fails there.
    expect(binaryEncodable(ticks, [canonical, row('BTC', '1e400', '2026-12-01T00:00:00Z')])).to.equal(false)
    expect(binaryEncodable([...ticks, {name: 'amount', type: 'numeric'}], [row('BTC', 1, null, '1.5')])).to.equal(false)
  })

  it('keeps a double as a number only where it is the number PostgreSQL reads from its text', () => {
    expect(coerceCell(60000.5, 'double precision')).to.equal(60000.5)
    expect(coerceCell(' 3000.25 ', 'double precision')).to.equal(3000.25)
    expect(coerceCell('0.000', 'double precision')).to.equal(0)
    expect(coerceCell('1e400', 'double precision')).to.equal('1e400')
    expect(coerceCell('-1e-400', 'double precision')).to.equal('-1e-400')
    expect(coerceCell(null, 'double precision')).to.equal(null)
    expect(coerceCell(3000.25, 'numeric')).to.equal('3000.25')
  })
})
