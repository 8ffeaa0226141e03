import {expect} from 'chai'
import {
  coerceValue,
  columnType,
  inferType,
  matchesDataType,
  ValueError,
} from '../../../../src/plugins/sink/postgres/column-types.js'

function refused(value: unknown, type: Parameters<typeof coerceValue>[1]): string {
  try {
    coerceValue(value, type)
  } catch (error) {
    expect(error).to.be.instanceOf(ValueError)
    return (error as Error).message
  }
  throw new Error(`expected ${String(value)} to be refused as ${type}`)
}

describe('postgres sink column types', () => {
  it('turns values into the text PostgreSQL reads, NULL for null and undefined', () => {
    expect(coerceValue(null, 'integer')).to.equal(null)
    expect(coerceValue(undefined, 'text')).to.equal(null)
    expect(coerceValue(60000.5, 'double precision')).to.equal('60000.5')
    expect(coerceValue(' 3000.25 ', 'numeric')).to.equal('3000.25')
    expect(coerceValue('12', 'bigint')).to.equal('12')
    expect(coerceValue(9007199254740993n, 'bigint')).to.equal('9007199254740993')
    expect(coerceValue(true, 'boolean')).to.equal('true')
    expect(coerceValue(0, 'boolean')).to.equal('false')
    expect(coerceValue({a: [1]}, 'jsonb')).to.equal('{"a":[1]}')
    expect(coerceValue({a: 1}, 'text')).to.equal('{"a":1}')
    expect(coerceValue(42, 'text')).to.equal('42')
  })

  it('keeps ISO times as written and reads numbers as epoch milliseconds', () => {
    expect(coerceValue('2026-01-01T00:00:00.123456+02:00', 'timestamptz')).to.equal('2026-01-01T00:00:00.123456+02:00')
    expect(coerceValue(0, 'timestamptz')).to.equal('1970-01-01T00:00:00.000Z')
    expect(coerceValue(new Date(Date.UTC(2026, 0, 2)), 'timestamp')).to.equal('2026-01-02T00:00:00.000Z')
    expect(coerceValue('2026-03-04', 'date')).to.equal('2026-03-04')
    expect(coerceValue(Date.UTC(2026, 0, 2, 12), 'date')).to.equal('2026-01-02')
  })

  it('refuses what would fail in the database, saying why', () => {
    expect(refused('abc', 'double precision')).to.equal('"abc" is not a finite number')
    expect(refused(Number.NaN, 'real')).to.equal('NaN is not a finite number')
    expect(refused(Number.POSITIVE_INFINITY, 'numeric')).to.equal('Infinity is not a finite number')
    expect(refused(1.5, 'integer')).to.include('not a whole number')
    expect(refused(2 ** 31, 'integer')).to.include('out of range for integer')
    expect(refused('9223372036854775808', 'bigint')).to.include('out of range for bigint')
    expect(refused('yes', 'boolean')).to.include('not a boolean')
    expect(refused('yesterday', 'timestamptz')).to.include('not an ISO 8601 time')
    expect(refused('2026-13-45T99:99', 'timestamptz')).to.include('not an ISO 8601 time')
    expect(refused(Number.NaN, 'timestamptz')).to.include('not a time')
    expect(refused('a\u0000b', 'text')).to.include('NUL')
  })

  it('accepts aliases, infers types from values and matches information_schema names', () => {
    expect(columnType('FLOAT8')).to.equal('double precision')
    expect(columnType('timestamp with time zone')).to.equal('timestamptz')
    expect(columnType('money')).to.equal(undefined)
    expect(inferType(1)).to.equal('double precision')
    expect(inferType('2026-01-01T00:00:00Z')).to.equal('timestamptz')
    expect(inferType('btc')).to.equal('text')
    expect(inferType(false)).to.equal('boolean')
    expect(inferType({a: 1})).to.equal('jsonb')
    expect(inferType(null)).to.equal('text')
    expect(matchesDataType('timestamptz', 'timestamp with time zone')).to.equal(true)
    expect(matchesDataType('double precision', 'numeric')).to.equal(false)
    expect(matchesDataType('text', 'character varying')).to.equal(true)
  })
})
