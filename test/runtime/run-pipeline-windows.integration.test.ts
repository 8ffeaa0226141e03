/**
 * Event-time windows through the real broker: real daily BTC candles are replayed onto a topic, rolled up into 7-day
 * candles by the ohlc transform, and produced to a second topic and a CSV. Every emitted candle is compared with one
 * computed here, straight from the data file, without the code under test.
 */
import {expect} from 'chai'
import {parse} from 'csv-parse/sync'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadPipeline} from '../../src/index.js'
import {createLogger} from '../../src/runtime/logger.js'
import {runPipeline} from '../../src/runtime/run-pipeline.js'
import {produceRaw, readTopic, uniqueName} from '../support/kafka-test-utils.js'

const DATA = join(import.meta.dirname, '../../data/btcusd-1d-2011-2025.csv')
const WEEK_MS = 7 * 86_400_000
const DAYS = 400

interface Candle {
  window_start: string
  window_end: string
  open: number
  high: number
  low: number
  close: number
  volume: number
  count: number
}

/** 7-day epoch-aligned candles of the first DAYS rows, only the windows the watermark has closed (end ≤ last day). */
function expectedCandles(): Candle[] {
  const rows = (parse(readFileSync(DATA, 'utf8'), {columns: true}) as Record<string, string>[]).slice(0, DAYS)
  const byWindow = new Map<number, Candle>()
  for (const row of rows) {
    const t = Number(row.unix_timestamp) * 1000
    const start = Math.floor(t / WEEK_MS) * WEEK_MS
    const candle = byWindow.get(start)
    const [open, high, low, close, volume] = [row.open, row.high, row.low, row.close, row.volume].map(Number)
    if (!candle) {
      byWindow.set(start, {
        window_start: new Date(start).toISOString(),
        window_end: new Date(start + WEEK_MS).toISOString(),
        open,
        high,
        low,
        close,
        volume,
        count: 1,
      })
    } else {
      candle.high = Math.max(candle.high, high)
      candle.low = Math.min(candle.low, low)
      candle.close = close
      candle.volume += volume
      candle.count++
    }
  }
  const last = Number(rows[rows.length - 1].unix_timestamp) * 1000
  return [...byWindow.values()].filter((c) => Date.parse(c.window_end) <= last)
}

describe('windows through the real broker', function () {
  this.timeout(120_000)
  const logs: string[] = []
  const logger = createLogger('test', {write: (line) => logs.push(line), level: 'debug'})

  it('daily → 7-day candles → second topic and CSV: each as computed apart; a NaN price is dead-lettered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-windows-'))
    const topic = uniqueName('it-daily')
    const candlesTopic = uniqueName('it-weekly')
    const lines = readFileSync(DATA, 'utf8').trim().split('\n')
    writeFileSync(join(dir, 'daily.csv'), lines.slice(0, DAYS + 1).join('\n') + '\n')
    const file = join(dir, 'weekly.yaml')
    writeFileSync(
      file,
      [
        'name: weekly',
        'kafka:',
        `  topic: ${topic}`,
        `  groupId: ${uniqueName('it-group')}`,
        'source:',
        '  type: replay',
        `  path: ${join(dir, 'daily.csv')}`,
        'transforms:',
        '  - type: ohlc',
        '    size: 7d',
        '    input: candles',
        '    volume: volume',
        'sinks:',
        '  - type: kafka',
        `    topic: ${candlesTopic}`,
        '  - type: csv',
        `    path: ${join(dir, 'weekly.csv')}`,
      ].join('\n'),
    )
    const pipeline = await loadPipeline(file)
    // A record another client wrote with an unusable price, before the replay: it must land in the DLQ,
    // not in a candle.
    await produceRaw(topic, [
      {
        key: 'BTC',
        value: JSON.stringify({
          symbol: 'BTC',
          vs_currency: 'usd',
          timestamp: '2011-08-18T00:00:00.000Z',
          price_usd: 'NaN',
          open: 1,
          high: 1,
          low: 1,
          volume: 1,
        }),
      },
    ])
    const summary = await runPipeline(pipeline, {
      logger,
      signal: new AbortController().signal,
      stateRoot: join(dir, '.etl'),
      localBroker: false,
    })

    const expected = expectedCandles()
    expect(expected.length).to.be.greaterThan(50)
    const onTopic = (await readTopic(candlesTopic, expected.length)).sort((a, b) => Number(a.offset) - Number(b.offset))
    expect(onTopic.every((m) => m.key === 'BTC')).to.equal(true)
    const produced = onTopic.map((m) => JSON.parse(m.value) as Candle & {symbol: string})
    expect(produced).to.have.length(expected.length)
    for (const [i, want] of expected.entries()) {
      const got = produced[i]
      expect(got.symbol).to.equal('BTC')
      expect([got.window_start, got.window_end, got.count], `candle ${i}`).to.deep.equal([
        want.window_start,
        want.window_end,
        want.count,
      ])
      expect([got.open, got.high, got.low, got.close], `candle ${i} ${want.window_start}`).to.deep.equal([
        want.open,
        want.high,
        want.low,
        want.close,
      ])
      expect(got.volume).to.be.closeTo(want.volume, 1e-9 * Math.max(1, want.volume))
    }
    const csv = parse(readFileSync(join(dir, 'weekly.csv'), 'utf8'), {columns: true}) as Record<string, string>[]
    expect(csv.map((row) => [row.window_start, Number(row.close)])).to.deep.equal(
      expected.map((c) => [c.window_start, c.close]),
    )

    const [dead] = await readTopic(`${topic}.dlq`, 1)
    expect(dead.headers['etl-error-code']).to.equal('ETL_VALUE_NOT_FINITE')
    expect(dead.headers['etl-plugin']).to.equal('transform:ohlc')
    expect(JSON.parse(dead.value)).to.include({price_usd: 'NaN', timestamp: '2011-08-18T00:00:00.000Z'})
    expect(summary.counters.get('process', 'dead_lettered')).to.equal(1)
    expect(summary.counters.get('sink kafka', 'produced')).to.equal(expected.length)
  })

  it('routes records with where: alerts to their own CSV, prices to another, nothing to both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-routing-'))
    const lines = readFileSync(DATA, 'utf8').trim().split('\n')
    writeFileSync(join(dir, 'daily.csv'), lines.slice(0, DAYS + 1).join('\n') + '\n')
    const file = join(dir, 'routing.yaml')
    writeFileSync(
      file,
      [
        'name: routing',
        'kafka:',
        `  topic: ${uniqueName('it-routing')}`,
        'source:',
        '  type: replay',
        `  path: ${join(dir, 'daily.csv')}`,
        'transforms:',
        '  - type: alert',
        '    rules:',
        '      - name: above-10',
        '        field: price_usd',
        '        above: 10',
        'sinks:',
        '  - type: csv',
        '    name: prices',
        "    where: record_type != 'alert'",
        `    path: ${join(dir, 'prices.csv')}`,
        '  - type: csv',
        '    name: alerts',
        "    where: record_type == 'alert'",
        `    path: ${join(dir, 'alerts.csv')}`,
      ].join('\n'),
    )
    const summary = await runPipeline(await loadPipeline(file), {
      logger,
      signal: new AbortController().signal,
      stateRoot: join(dir, '.etl'),
      localBroker: false,
    })

    // Independently: the rule fires each time the close crosses from ≤ 10 to > 10 (and on the first record if above).
    const closes = (parse(lines.slice(0, DAYS + 1).join('\n'), {columns: true}) as Record<string, string>[]).map(
      (row) => Number(row.close),
    )
    const crossings = closes.filter((close, i) => close > 10 && (i === 0 || closes[i - 1] <= 10)).length
    expect(crossings).to.be.greaterThan(1)
    const prices = parse(readFileSync(join(dir, 'prices.csv'), 'utf8'), {columns: true}) as Record<string, string>[]
    const alerts = parse(readFileSync(join(dir, 'alerts.csv'), 'utf8'), {columns: true}) as Record<string, string>[]
    expect(prices).to.have.length(DAYS)
    expect(prices.every((row) => row.record_type === undefined && row.price_usd !== undefined)).to.equal(true)
    expect(alerts).to.have.length(crossings)
    expect(alerts.every((row) => row.record_type === 'alert' && row.alert === 'above-10')).to.equal(true)
    expect(summary.counters.get('sink alerts', 'written')).to.equal(crossings)
    expect(summary.counters.get('sink prices', 'written')).to.equal(DAYS)
  })

  it('a sourceless pipeline consumes a topic another fills (crypto_prices → candles → second pipeline)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-chain-'))
    const candlesTopic = uniqueName('it-candles')
    const candles = expectedCandles()
      .slice(0, 20)
      .map((c) => ({symbol: 'BTC', vs_currency: 'usd', ...c}))
    // What the first pipeline's kafka sink would have produced (written here by an independent client).
    await produceRaw(
      candlesTopic,
      candles.map((c) => ({key: 'BTC', value: JSON.stringify(c)})),
    )
    const file = join(dir, 'weekly-report.yaml')
    writeFileSync(
      file,
      [
        'name: weekly-report',
        'kafka:',
        `  topic: ${candlesTopic}`,
        'transforms:',
        '  - type: pct_change',
        '    field: close',
        'sinks:',
        '  - type: csv',
        `    path: ${join(dir, 'report.csv')}`,
        '    columns: [window_start, close, close_pct_change_1]',
      ].join('\n'),
    )
    const controller = new AbortController()
    const running = runPipeline(await loadPipeline(file), {
      logger,
      signal: controller.signal,
      stateRoot: join(dir, '.etl'),
      localBroker: false,
    })
    const rows = () =>
      existsSync(join(dir, 'report.csv'))
        ? (parse(readFileSync(join(dir, 'report.csv'), 'utf8'), {columns: true}) as Record<string, string>[])
        : []
    const deadline = Date.now() + 60_000
    while (rows().length < candles.length && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100))
    controller.abort()
    await running
    const report = rows()
    expect(report.map((r) => r.window_start)).to.deep.equal(candles.map((c) => c.window_start))
    for (const [i, row] of report.entries()) {
      if (i === 0) expect(row.close_pct_change_1).to.equal('')
      else
        expect(Number(row.close_pct_change_1)).to.be.closeTo((candles[i].close / candles[i - 1].close - 1) * 100, 1e-9)
    }
  })

  it('late and out-of-order records at the watermark via the broker: late ones go to the DLQ with reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-late-'))
    const topic = uniqueName('it-late')
    const base = Date.UTC(2025, 0, 1)
    const at = (ms: number) => new Date(base + ms).toISOString()
    const tick = (ms: number, price: number) => ({
      key: 'BTC',
      value: JSON.stringify({symbol: 'BTC', vs_currency: 'usd', timestamp: at(ms), price_usd: price}),
    })
    // lateness 10 s, 1-minute windows. Arrival order below; the comment says what the per-key watermark is after it.
    await produceRaw(topic, [
      tick(30_000, 1), //     wm = 20 s
      tick(10_000, 2), //     out of order inside [0, 1m): joins it (first by event time → open = 2)
      tick(70_000, 3), //     wm = 60 s = end of [0, 1m): that window closes and is emitted
      tick(59_999, 4), //     its only window [0, 1m) ended at 60 s ≤ wm: late → dead letter
      tick(65_000, 5), //     inside [1m, 2m), still open
      tick(130_000, 6), //    wm = 120 s: [1m, 2m) closes
      tick(120_000, 7), //    [2m, 3m) ends at 180 s > wm: accepted although older than the newest record
    ])
    const file = join(dir, 'late.yaml')
    writeFileSync(
      file,
      [
        'name: late',
        'kafka:',
        `  topic: ${topic}`,
        'transforms:',
        '  - type: ohlc',
        '    size: 1m',
        '    lateness: 10s',
        'sinks:',
        '  - type: csv',
        `    path: ${join(dir, 'candles.csv')}`,
        '    columns: [window_start, open, high, low, close, count]',
      ].join('\n'),
    )
    const controller = new AbortController()
    const running = runPipeline(await loadPipeline(file), {
      logger,
      signal: controller.signal,
      stateRoot: join(dir, '.etl'),
      localBroker: false,
    })
    const rows = () =>
      existsSync(join(dir, 'candles.csv'))
        ? (parse(readFileSync(join(dir, 'candles.csv'), 'utf8'), {columns: true}) as Record<string, string>[])
        : []
    const deadline = Date.now() + 60_000
    while (rows().length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
    // The dead letter is sent right after the sinks flushed the same batch: the topic may not exist yet for a moment.
    let dead: Awaited<ReturnType<typeof readTopic>>[number] | undefined
    while (!dead && Date.now() < deadline) dead = (await readTopic(`${topic}.dlq`, 1).catch(() => []))[0]
    controller.abort()
    const summary = await running
    if (!dead) throw new Error('no dead letter arrived')
    expect(rows().map((r) => [r.window_start, r.open, r.high, r.low, r.close, r.count])).to.deep.equal([
      [at(0), '2', '2', '1', '1', '2'],
      [at(60_000), '5', '5', '3', '3', '2'], // by event time: 65 s (5) opens, 70 s (3) closes
    ])
    expect(dead.headers['etl-error-code']).to.equal('ETL_RECORD_LATE')
    expect(dead.headers['etl-plugin']).to.equal('transform:ohlc')
    expect(JSON.parse(dead.value)).to.include({timestamp: at(59_999), price_usd: 4})
    expect(dead.headers['etl-error-message']).to.include(at(60_000))
    expect(summary.counters.get('process', 'dead_lettered')).to.equal(1)
  })
})
