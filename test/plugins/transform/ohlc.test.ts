import {expect} from 'chai'
import {parse} from 'csv-parse/sync'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import ohlc from '../../../src/plugins/transform/ohlc.js'
import type {EtlRecord} from '../../../src/runtime/plugin-types.js'
import {configFor, issuesOf} from '../../support/plugin-context.js'
import {DAY, feed, harness, iso, MINUTE} from '../shared/windowing/window-test-kit.js'

const DATA = join(import.meta.dirname, '../../../data/btcusd-1d-2011-2025.csv')
const WEEK = 7 * DAY

interface Day {
  t: number
  open: number
  high: number
  low: number
  close: number
  volume: number
}

/** The bundled daily candles, read here without any code under test ("2011-08-18 00:00:00" is UTC). */
const days: Day[] = (parse(readFileSync(DATA, 'utf8'), {columns: true}) as Record<string, string>[]).map((row) => ({
  t: Date.parse(row.timestamp.replace(' ', 'T') + 'Z'),
  open: Number(row.open),
  high: Number(row.high),
  low: Number(row.low),
  close: Number(row.close),
  volume: Number(row.volume),
}))

/** As the replay source emits them: the close is price_usd. */
const asRecords = (rows: Day[]): EtlRecord[] =>
  rows.map((d) => ({
    symbol: 'BTC',
    vs_currency: 'usd',
    timestamp: iso(d.t),
    open: d.open,
    high: d.high,
    low: d.low,
    price_usd: d.close,
    volume: d.volume,
    source: 'replay',
  }))

/** Candles over windows of `size` every `slide`, by brute force, for the windows closed by the last day. */
function expectedCandles(rows: Day[], size: number, slide: number) {
  const last = rows.at(-1)!.t
  const candles = []
  for (let start = Math.floor(rows[0].t / slide) * slide - size; start + size <= last; start += slide) {
    const inside = rows.filter((d) => d.t >= start && d.t < start + size).sort((a, b) => a.t - b.t)
    if (inside.length === 0) continue
    candles.push({
      window_start: iso(start),
      window_end: iso(start + size),
      open: inside[0].open,
      high: Math.max(...inside.map((d) => d.high)),
      low: Math.min(...inside.map((d) => d.low)),
      close: inside.at(-1)!.close,
      volume: inside.reduce((sum, d) => sum + d.volume, 0),
      count: inside.length,
    })
  }
  return candles
}

function compare(got: EtlRecord[], want: ReturnType<typeof expectedCandles>) {
  expect(got).to.have.length(want.length)
  for (const [i, {volume: wantVolume, ...candle}] of want.entries()) {
    const {volume, ...rest} = got[i]
    expect(rest, `candle ${i}`).to.deep.equal({symbol: 'BTC', vs_currency: 'usd', ...candle})
    expect(volume as number, `volume of candle ${i}`).to.be.closeTo(wantVolume, 1e-9 * Math.max(1, wantVolume))
  }
}

describe('ohlc transform', () => {
  describe('weekly candles from the bundled daily BTC/USD candles (2011–2025)', function () {
    this.timeout(30_000)
    const want = expectedCandles(days, WEEK, WEEK)

    it('the data and the expected candles are what the test assumes', () => {
      expect(days.length).to.equal(5152)
      expect(want.length).to.be.greaterThan(700)
      // 1970-01-01 was a Thursday, so epoch-aligned 7-day windows start on Thursdays at 00:00 UTC
      expect(new Set(want.map((c) => new Date(c.window_start).getUTCDay()))).to.deep.equal(new Set([4]))
    })

    for (const sizes of [[1], [7], [100], [days.length], [3, 50, 1, 999, 2]]) {
      it(`emits every closed week exactly as computed independently, in batches of ${sizes.join(', ')}`, async () => {
        const {process, rejected} = await harness(ohlc, {size: '7d', input: 'candles', volume: 'volume'})
        const got = await feed(process, asRecords(days), sizes)
        expect(rejected).to.deep.equal([])
        compare(got, want)
      })
    }

    it('sliding candles (3d every 1d) match a brute-force computation', async () => {
      const rows = days.slice(1000, 1400)
      const {process} = await harness(ohlc, {size: '3d', slide: '1d', input: 'candles', volume: 'volume'})
      const got = await feed(process, asRecords(rows), [13])
      const expected = expectedCandles(rows, 3 * DAY, DAY)
      expect(expected.length).to.equal(rows.length + 2 - 3) // every day ends one window, bar the first two and the last
      compare(got, expected)
    })

    it('gives the same candles when the days arrive shuffled within each week, with lateness of a week', async () => {
      const rows = days.slice(0, 300)
      const shuffled = asRecords(rows).map((record, i) => ({
        record,
        order: Math.floor(rows[i].t / WEEK) * 100 + ((i * 5) % 7),
      }))
      shuffled.sort((a, b) => a.order - b.order)
      const {process, rejected} = await harness(ohlc, {size: '7d', lateness: '7d', input: 'candles', volume: 'volume'})
      const got = await feed(
        process,
        shuffled.map((s) => s.record),
        [10],
      )
      expect(rejected).to.deep.equal([])
      compare(
        got,
        expectedCandles(rows, WEEK, WEEK).filter((c) => Date.parse(c.window_end) <= rows.at(-1)!.t - WEEK),
      )
    })

    it('continues exactly when each batch goes to a new instance restored from the previous checkpoint', async () => {
      // What a partition moving between processes after every batch looks like to the transform.
      const config = {size: '7d', input: 'candles', volume: 'volume'}
      const records = asRecords(days)
      const got: EtlRecord[] = []
      let state: unknown
      for (let at = 0; at < records.length; at += 250) {
        const owner = await harness(ohlc, config)
        if (state !== undefined) await owner.instance.restore!(state)
        got.push(...(await owner.process(records.slice(at, at + 250))))
        state = JSON.parse(JSON.stringify(await owner.instance.checkpoint!()))
        expect(await owner.instance.flush!()).to.deep.equal([])
      }
      compare(got, want)
    })
  })

  it('builds candles from ticks: open and close by event time even when ticks arrive out of order', async () => {
    const base = Date.parse('2025-01-02T03:04:00Z')
    const ticks = [
      [20, 101],
      [0, 100],
      [59, 99],
      [30, 104],
      [45, 95],
    ].map(([s, price]) => ({symbol: 'ETH', vs_currency: 'eur', timestamp: base + s * 1000, price_usd: price}))
    const {process} = await harness(ohlc, {})
    const out = await process([...ticks, {symbol: 'ETH', vs_currency: 'eur', timestamp: base + MINUTE, price_usd: 1}])
    expect(out).to.deep.equal([
      {
        symbol: 'ETH',
        vs_currency: 'eur',
        window_start: iso(base),
        window_end: iso(base + MINUTE),
        open: 100,
        high: 104,
        low: 95,
        close: 99,
        count: 5,
      },
    ])
  })

  it('dead-letters a tick or candle with a missing or non-finite field it needs', async () => {
    const {process, rejected} = await harness(ohlc, {size: '1d', input: 'candles', volume: 'volume'})
    const good = asRecords(days.slice(0, 1))[0]
    await process([
      {...good, price_usd: 'NaN'},
      {...good, high: Number.POSITIVE_INFINITY},
      {...good, open: undefined, volume: null},
      good,
    ])
    expect(rejected.map((r) => [r.code, r.reason])).to.deep.equal([
      ['ETL_VALUE_NOT_FINITE', 'field "price_usd" is "NaN": not a finite number, so it joins no window'],
      ['ETL_VALUE_NOT_FINITE', 'field "high" is Infinity: not a finite number, so it joins no window'],
      [
        'ETL_VALUE_NOT_FINITE',
        'field "open" is missing, field "volume" is null: not a finite number, so it joins no window',
      ],
    ])
  })

  it('with passThrough, passes every input on, in order, before the candles of the batch', async () => {
    const ticks = [0, 20, 70, 130].map((s, i) => ({symbol: 'BTC', timestamp: iso(s * 1000), price_usd: 100 + i}))
    const through = await harness(ohlc, {size: '1m', key: ['symbol'], passThrough: true})
    const plain = await harness(ohlc, {size: '1m', key: ['symbol']})
    const first = await through.process(ticks.slice(0, 3))
    expect(first.slice(0, 3)).to.deep.equal(ticks.slice(0, 3))
    // The first minute closed when the tick at 70 s arrived: the same candle a plain ohlc emits, after the inputs.
    expect(first.slice(3)).to.deep.equal(await plain.process(ticks.slice(0, 3)))
    expect(first.slice(3).map((c) => [c.window_start, c.open, c.close, c.count])).to.deep.equal([[iso(0), 100, 101, 2]])
    expect(await through.process(ticks.slice(3))).to.deep.equal([ticks[3], ...(await plain.process(ticks.slice(3)))])
  })

  it('has documented defaults and reports a bad slide or a key field a candle field would overwrite', async () => {
    expect(configFor(ohlc, {})).to.deep.equal({
      time: 'timestamp',
      key: ['symbol', 'vs_currency'],
      size: '1m',
      lateness: '0s',
      emit: 'final',
      late: 'dead-letter',
      passThrough: false,
      input: 'ticks',
      price: 'price_usd',
      open: 'open',
      high: 'high',
      low: 'low',
    })
    const issues = async (config: Record<string, unknown>) =>
      (await issuesOf(ohlc, configFor(ohlc, config))).map((i) => i.message)
    expect(await issues({size: '1h', slide: '15m'})).to.deep.equal([])
    expect((await issues({size: '1h', slide: '2h'}))[0]).to.match(/must not exceed size/)
    expect(await issues({key: ['symbol', 'close']})).to.deep.equal([
      'key field "close" would be overwritten by the candle\'s own close',
    ])
  })
})
