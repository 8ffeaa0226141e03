import {readFileSync} from 'node:fs'
import {expect} from 'chai'
import {parse} from 'csv-parse/sync'
import {
  ChartRows,
  parseNumber,
  parseTime,
  type ChartRowsOptions,
} from '../../../../src/plugins/chart/vega-lite/chart-rows.js'

const FIELDS = {
  time: 'timestamp',
  value: 'close',
  series: 'symbol',
  open: 'open',
  high: 'high',
  low: 'low',
  close: 'close',
  volume: 'volume',
}
const daily = parse(readFileSync('data/btcusd-1d-2011-2025.csv'), {columns: true}) as Record<string, string>[]

function rows(options: Partial<ChartRowsOptions> = {}) {
  return new ChartRows({fields: FIELDS, defaultSeries: 'BTC', points: 200_000, movingAverage: 20, ...options})
}

/** The trailing mean of the n closes ending at each row, straight from the CSV; null for the first n − 1 rows. */
function expectedAverage(records: Record<string, string>[], n: number): (number | null)[] {
  return records.map((_, i) => {
    if (i < n - 1) return null
    let sum = 0
    for (let k = i - n + 1; k <= i; k++) sum += Number(records[k].close)
    return sum / n
  })
}

describe('chart rows', () => {
  describe('parsing', () => {
    it('reads times as ISO strings, zone-less strings (UTC), Unix seconds and milliseconds', () => {
      const ms = Date.UTC(2011, 7, 18, 12, 35)
      expect(parseTime('2011-08-18 12:35:00')).to.equal(ms)
      expect(parseTime('2011-08-18T12:35:00Z')).to.equal(ms)
      expect(parseTime('2011-08-18T14:35:00+02:00')).to.equal(ms)
      expect(parseTime(1313670900)).to.equal(ms)
      expect(parseTime('1313670900')).to.equal(ms)
      expect(parseTime(ms)).to.equal(ms)
      expect(parseTime(new Date(ms))).to.equal(ms)
      for (const bad of ['', 'soon', null, undefined, NaN, {}, true])
        expect(Number.isNaN(parseTime(bad))).to.equal(true)
    })

    it('reads numbers and numeric strings; empty cells are missing, not zero', () => {
      expect(parseNumber('42.5')).to.equal(42.5)
      expect(parseNumber(' 1e3 ')).to.equal(1000)
      expect(parseNumber(7)).to.equal(7)
      for (const bad of ['', ' ', 'n/a', '12abc', null, undefined, Infinity, NaN])
        expect(Number.isNaN(parseNumber(bad))).to.equal(true)
    })
  })

  it('computes the trailing moving average on raw rows, matching an independent computation', () => {
    const chart = rows({movingAverage: 20})
    expect(chart.add(daily)).to.deep.equal({added: daily.length, skipped: 0, outOfOrder: 0})
    const drawn = chart.rows('none', 0)
    const expected = expectedAverage(daily, 20)
    expect(drawn).to.have.length(daily.length)
    drawn.forEach((row, i) => {
      if (expected[i] === null) expect(row.ma, `row ${i}`).to.equal(null)
      else expect(row.ma, `row ${i}`).to.be.closeTo(expected[i]!, 1e-9 * Math.max(1, expected[i]!))
    })
  })

  it('keeps the moving average right when fewer rows than its length are kept, and across batches', () => {
    const chart = rows({movingAverage: 50, points: 10})
    for (let i = 0; i < daily.length; i += 337) chart.add(daily.slice(i, i + 337))
    const drawn = chart.rows('none', 0)
    const expected = expectedAverage(daily, 50).slice(-10)
    expect(drawn).to.have.length(10)
    drawn.forEach((row, i) => expect(row.ma).to.be.closeTo(expected[i]!, 1e-6))
  })

  it('takes the moving average at the points LTTB selected', () => {
    const chart = rows()
    chart.add(daily)
    const all = chart.rows('none', 0)
    const byTime = new Map(all.map((row) => [row.t, row.ma]))
    const drawn = chart.rows('lttb', 300)
    expect(drawn.length).to.be.within(240, 300)
    expect(drawn[0].t).to.equal(all[0].t)
    expect(drawn.at(-1)!.t).to.equal(all.at(-1)!.t)
    for (const row of drawn) expect(row.ma).to.equal(byTime.get(row.t))
  })

  it('bounds memory by points per series: the oldest rows go first', () => {
    const chart = rows({points: 1000})
    for (let i = 0; i < daily.length; i += 100) chart.add(daily.slice(i, i + 100))
    expect(chart.size).to.equal(1000)
    const [series] = chart.seriesList()
    // Arrays grow to at most twice what is kept (plus one batch), however long the history.
    expect(series.t.length).to.be.at.most(2048)
    expect(chart.rows('none', 0)[0].t).to.equal(parseTime(daily[daily.length - 1000].timestamp))
  })

  it('keeps only rows within the time window of the latest row, across series', () => {
    const chart = rows({windowMs: 7 * 86_400_000})
    chart.add(daily.map((record) => ({...record, symbol: 'BTC'})))
    chart.add([{timestamp: '2011-09-01', close: '5', symbol: 'OLD'}])
    // OLD is far older than BTC's latest row: it is dropped entirely.
    expect(chart.seriesList().map((s) => s.name)).to.deep.equal(['BTC'])
    expect(chart.size).to.equal(8)
    const latest = parseTime(daily.at(-1)!.timestamp)
    for (const row of chart.rows('none', 0)) expect(row.t).to.be.at.least(latest - 7 * 86_400_000)
  })

  it('counts rows without a usable time or value, skips older rows and replaces a row with the same time', () => {
    const chart = rows({movingAverage: 2})
    const result = chart.add([
      {timestamp: '2024-01-01T00:00:00Z', close: '10'},
      {timestamp: 'not a time', close: '11'},
      {timestamp: '2024-01-01T00:01:00Z', close: ''},
      {timestamp: '2024-01-01T00:01:00Z', close: 'NaN'},
      {timestamp: '2024-01-01T00:02:00Z', close: '20'},
      {timestamp: '2024-01-01T00:02:00Z', close: '30'},
      {timestamp: '2024-01-01T00:00:30Z', close: '40'},
    ])
    expect(result).to.deep.equal({added: 3, skipped: 3, outOfOrder: 1})
    const drawn = chart.rows('none', 0)
    expect(drawn.map((row) => [row.value, row.ma])).to.deep.equal([
      [10, null],
      [30, 20],
    ])
  })

  it('fills missing candle parts from the value and names series', () => {
    const chart = rows({fields: {...FIELDS, value: 'price_usd'}, defaultSeries: 'price_usd'})
    chart.add([
      {timestamp: 1700000000, price_usd: 37000, symbol: 'BTC'},
      {timestamp: 1700000000, price_usd: '2000.5', symbol: 'ETH', volume: '12'},
      {timestamp: 1700000060, price_usd: 1},
    ])
    const drawn = chart.rows('ohlc', 100)
    expect(drawn.map((row) => row.series)).to.deep.equal(['BTC', 'ETH', 'price_usd'])
    expect(drawn[1]).to.deep.include({
      open: 2000.5,
      high: 2000.5,
      low: 2000.5,
      close: 2000.5,
      volume: 12,
      value: 2000.5,
    })
    expect(drawn[0]).to.deep.include({volume: 0, t: 1700000000_000})
  })

  it('forgets everything on reset', () => {
    const chart = rows()
    chart.add(daily.slice(0, 100))
    chart.reset()
    expect(chart.size).to.equal(0)
    expect(chart.rows('lttb', 800)).to.deep.equal([])
    chart.add(daily.slice(0, 5))
    expect(chart.size).to.equal(5)
  })
  it('keeps only the series named in onlySeries, without counting the others as skipped', () => {
    const chart = rows({onlySeries: new Set(['ETH'])})
    const sample = daily.slice(0, 30)
    const mixed = sample.flatMap((row) => [
      {...row, symbol: 'BTC'},
      {...row, symbol: 'ETH', close: String(Number(row.close) / 30)},
    ])
    const result = chart.add(mixed)
    expect(result).to.deep.equal({added: 30, skipped: 0, outOfOrder: 0})
    expect(chart.seriesList().map((s) => s.name)).to.deep.equal(['ETH'])
    expect(chart.rows('none', 100).map((r) => r.value)).to.deep.equal(sample.map((row) => Number(row.close) / 30))
  })
})
