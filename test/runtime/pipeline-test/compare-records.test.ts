import {expect} from 'chai'
import {fieldDifferences, valuesEqual} from '../../../src/runtime/pipeline-test/compare-records.js'

describe('pipeline tests: comparing records', () => {
  it('numbers are equal up to decimal rounding, or within an explicit tolerance', () => {
    expect(valuesEqual(0.3, 0.1 + 0.2)).to.equal(true)
    expect(valuesEqual(22.22, 22.23)).to.equal(false)
    expect(valuesEqual(22.22, 22.23, 0.01 + 1e-12)).to.equal(true)
    expect(valuesEqual(100, '100')).to.equal(false)
    expect(valuesEqual(Number.NaN, Number.NaN)).to.equal(false)
  })

  it('ISO 8601 times are equal when they name the same instant', () => {
    expect(valuesEqual('2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000Z')).to.equal(true)
    expect(valuesEqual('2026-01-01T01:00:00+01:00', '2026-01-01T00:00:00.000Z')).to.equal(true)
    expect(valuesEqual('2026-01-01T00:00:01Z', '2026-01-01T00:00:00.000Z')).to.equal(false)
    expect(valuesEqual('2026-01-01', '2026-01-01T00:00:00.000Z')).to.equal(false)
  })

  it('compares nested values field by field', () => {
    expect(valuesEqual({a: [1, {b: 2}]}, {a: [1, {b: 2}]})).to.equal(true)
    expect(valuesEqual({a: [1, {b: 2}]}, {a: [1, {b: 2, c: 3}]})).to.equal(false)
    expect(valuesEqual(null, undefined)).to.equal(false)
  })

  it('lists missing, different and (with exact) extra fields', () => {
    const actual = {symbol: 'BTC', close: 102, volume: 5}
    expect(fieldDifferences({close: 101, open: 100}, actual, {match: 'fields'})).to.deep.equal([
      'close: expected 101, got 102',
      'open: expected 100, got no such field',
    ])
    expect(fieldDifferences({symbol: 'BTC', close: 102}, actual, {match: 'exact'})).to.deep.equal([
      'volume: not expected, got 5',
    ])
  })
})
