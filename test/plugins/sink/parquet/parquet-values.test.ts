/**
 * The parquet sink's pure pieces: partition folder names (safe, Hive-style), value conversion per column type,
 * column inference, spool lines, and the config schema's checks.
 */
import {expect} from 'chai'
import parquet from '../../../../src/plugins/sink/parquet/index.js'
import {inferColumnType, toSpoolValue, Unconvertible} from '../../../../src/plugins/sink/parquet/column-types.js'
import {escapeSegment, partitionPath} from '../../../../src/plugins/sink/parquet/partition-path.js'
import {parseSpoolLine, spoolLine} from '../../../../src/plugins/sink/parquet/row-encoder.js'
import {toEpoch} from '../../../../src/plugins/sink/parquet/timestamp-value.js'
import {checkConfig, pluginConfig} from '../../../../src/testing/index.js'
import {issuesOf} from '../../../support/plugin-context.js'

describe('parquet sink: partition folders', () => {
  const levels = [
    {field: 'ts', as: 'date', format: 'day' as const},
    {field: 'symbol', as: 'symbol'},
  ]

  it('derives date=…/symbol=… from a time field (ISO or epoch ms, UTC) and a plain field', () => {
    expect(partitionPath({ts: '2026-12-01T23:59:59.999Z', symbol: 'BTC'}, levels)).to.equal(
      'date=2026-12-01/symbol=BTC',
    )
    expect(partitionPath({ts: Date.UTC(2026, 11, 2, 1), symbol: 'ETH'}, levels)).to.equal('date=2026-12-02/symbol=ETH')
    expect(partitionPath({ts: '2026-12-01T23:30:00-01:00', symbol: 'X'}, levels)).to.equal('date=2026-12-02/symbol=X')
    const hour = [{field: 'ts', as: 'hour', format: 'hour' as const}]
    expect(partitionPath({ts: '2026-12-01T07:05:00Z'}, hour)).to.equal('hour=2026-12-01-07')
  })

  it('never names a folder outside the lake: / \\ .. and control characters are percent-encoded', () => {
    expect(escapeSegment('A/B')).to.equal('A%2FB')
    expect(escapeSegment('..')).to.equal('%2E.')
    expect(escapeSegment('.hidden')).to.equal('%2Ehidden')
    expect(escapeSegment('a\\b=c%')).to.equal('a%5Cb%3Dc%25')
    expect(escapeSegment('x\u0000y')).to.equal('x%00y')
    expect(escapeSegment('€')).to.equal('%E2%82%AC')
    const path = partitionPath({ts: '2026-12-01T00:00:00Z', symbol: '../../etc'}, levels) as string
    expect(path.split('/')).to.deep.equal(['date=2026-12-01', 'symbol=%2E.%2F..%2Fetc'])
  })

  it('puts a missing value in __HIVE_DEFAULT_PARTITION__ and reports a time field that holds no time', () => {
    expect(partitionPath({ts: null}, levels)).to.equal(
      'date=__HIVE_DEFAULT_PARTITION__/symbol=__HIVE_DEFAULT_PARTITION__',
    )
    const bad = partitionPath({ts: 'yesterday', symbol: 'BTC'}, levels)
    expect(bad).to.be.instanceOf(Error)
    expect((bad as Error).message).to.match(/field "ts" \(partition date\): yesterday is no time/)
  })
})

describe('parquet sink: values per column type', () => {
  const value = (type: 'string' | 'double' | 'int64' | 'boolean' | 'timestamp', v: unknown, unit?: 'micros') =>
    toSpoolValue({name: 'f', type, unit}, v)

  it('converts what fits and keeps nulls', () => {
    expect(value('double', 1.5)).to.equal(1.5)
    expect(value('double', '2.25')).to.equal(2.25)
    expect(value('int64', '9223372036854775807')).to.equal('9223372036854775807')
    expect(value('int64', 42)).to.equal('42')
    expect(value('boolean', 'true')).to.equal(true)
    expect(value('string', 12)).to.equal('12')
    expect(value('string', {a: 1})).to.equal('{"a":1}')
    expect(value('timestamp', '2026-12-01T00:00:00.123Z')).to.equal(Date.UTC(2026, 11, 1) + 123)
    expect(value('timestamp', 1_700_000_000_000)).to.equal(1_700_000_000_000)
    expect(value('timestamp', '2026-12-01T00:00:00.123456Z', 'micros')).to.equal(
      (Date.UTC(2026, 11, 1) + 123) * 1000 + 456,
    )
    expect(value('double', null)).to.equal(null)
    expect(value('timestamp', undefined)).to.equal(null)
  })

  it('refuses what does not fit, with the field and value in the reason', () => {
    const cases: [Parameters<typeof value>[0], unknown][] = [
      ['double', 'abc'],
      ['double', Number.NaN],
      ['double', ''],
      ['int64', 1.5],
      ['int64', '9223372036854775808'],
      ['boolean', 1],
      ['timestamp', 'not a time'],
      ['timestamp', '2026-13-45T00:00:00Z'],
    ]
    for (const [type, input] of cases) {
      const result = value(type, input)
      expect(result, `${type} ${String(input)}`).to.be.instanceOf(Unconvertible)
      expect((result as Unconvertible).reason).to.match(new RegExp(`field "f": .* is not a ${type}`))
    }
  })

  it('infers doubles for numbers, timestamps for ISO strings, strings for the rest', () => {
    expect(inferColumnType(3)).to.equal('double')
    expect(inferColumnType('2026-12-01T00:00:00Z')).to.equal('timestamp')
    expect(inferColumnType('2026-12-01')).to.equal('string')
    expect(inferColumnType(true)).to.equal('boolean')
    expect(inferColumnType(null)).to.equal('string')
    expect(toEpoch('12345', 'millis')).to.equal(12345)
  })

  it('spool lines round-trip and a line of the wrong width is refused', () => {
    const row = {partition: 'symbol=A%2FB', values: ['x\n"y"', 1.5, null, true, '-9']}
    expect(parseSpoolLine(spoolLine(row).trimEnd(), 5)).to.deep.equal(row)
    expect(() => parseSpoolLine(spoolLine(row), 4)).to.throw(/not a spool row of 4/)
  })
})

describe('parquet sink: config', () => {
  it('applies the defaults', () => {
    const config = pluginConfig(parquet, {})
    expect(config.roll).to.deep.equal({maxRows: 100_000, maxBytes: 64 * 1024 * 1024, maxAge: '5m'})
    expect(config.compression).to.equal('snappy')
    expect(config.fsync).to.equal(true)
    expect(config.partitionBy).to.deep.equal([])
  })

  it('refuses unknown types, compressions and time formats, and partition keys holding / or =', async () => {
    const problems = async (config: Record<string, unknown>) =>
      (await checkConfig(parquet, config)).map((p) => p.path.join('.')).join()
    expect(await problems({columns: [{name: 'x', type: 'decimal'}]})).to.include('columns.0.type')
    expect(await problems({compression: 'lz4'})).to.include('compression')
    expect(await problems({partitionBy: [{field: 'ts', format: 'week'}]})).to.include('partitionBy.0')
    expect(await problems({partitionBy: ['a/b']})).to.include('partitionBy.0')
    expect(await problems({partitionBy: ['a=b']})).to.include('partitionBy.0')
    expect(await problems({roll: {maxRows: 0}})).to.include('roll.maxRows')
    expect(await problems({partitionBy: ['symbol', {field: 'ts', as: 'date', format: 'day'}]})).to.equal('')
  })

  it('reports a partition key named twice', async () => {
    const config = pluginConfig(parquet, {partitionBy: ['symbol', {field: 'name', as: 'symbol'}]})
    expect(await issuesOf(parquet, config)).to.deep.equal([
      {path: ['partitionBy', '1'], message: 'partition key "symbol" appears twice'},
    ])
  })
})
