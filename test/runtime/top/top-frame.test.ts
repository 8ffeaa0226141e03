import {expect} from 'chai'
import {LatestRecords, recordSummary} from '../../../src/runtime/top/latest-records.js'
import {parseExposition} from '../../../src/runtime/top/prometheus-text.js'
import {buildFrame, type Scrape} from '../../../src/runtime/top/top-frame.js'
import {renderTop} from '../../../src/runtime/top/top-render.js'

const scrape = (at: number, lines: string[]): Scrape => ({at, samples: parseExposition(lines.join('\n'))})
const labels = (stage: string, plugin: string, outcome: string, code = '') =>
  `{stage="${stage}",plugin="${plugin}",outcome="${outcome}"${code ? `,code="${code}"` : ''},pipeline="btc"}`

const first = scrape(10_000, [
  `etl_records_total${labels('source', 'replay', 'produced')} 100`,
  `etl_records_total${labels('sink', 'csv', 'written')} 90`,
  `etl_records_total${labels('process', '', 'dead_lettered', 'ETL_RECORD_INVALID')} 2`,
  `etl_records_per_second${labels('sink', 'csv', 'written')} 7.5`,
  'etl_consumer_lag_records{topic="prices",partition="1",pipeline="btc"} 4',
  'etl_consumer_lag_records{topic="prices",partition="0",pipeline="btc"} 6',
  'etl_kafka_up{pipeline="btc"} 1',
  'etl_source_buffer_records{stage="source",plugin="replay",pipeline="btc"} 30',
  'etl_source_buffer_capacity_records{pipeline="btc"} 1000',
])
const second = scrape(12_000, [
  `etl_records_total${labels('source', 'replay', 'produced')} 300`,
  `etl_records_total${labels('sink', 'csv', 'written')} 250`,
  `etl_records_total${labels('process', '', 'dead_lettered', 'ETL_RECORD_INVALID')} 2`,
  `etl_retries_total${labels('sink', 'csv', 'flush_retry')} 1`,
  'etl_kafka_up{pipeline="btc"} 0',
])

describe("etl top's screen", () => {
  it('takes rates from two scrapes, and from the endpoint’s own rate on the first screen', () => {
    const initial = buildFrame(first, undefined)
    expect(initial.pipeline).to.equal('btc')
    expect(initial.records.find((r) => r.outcome === 'written')).to.include({total: 90, rate: 7.5})
    expect(initial.records.find((r) => r.outcome === 'produced')!.rate).to.equal(undefined)
    expect(initial.lag.map((l) => l.partition)).to.deep.equal(['0', '1'])
    expect(initial.buffer).to.deep.equal({records: 30, capacity: 1000})
    const next = buildFrame(second, first, {ready: false, failing: ['kafka: Kafka does not answer: refused']})
    expect(next.records.map((r) => [r.outcome, r.rate])).to.deep.equal([
      ['produced', 100],
      ['written', 80],
      ['dead_lettered', 0],
    ])
    expect(next.retries).to.deep.equal([{stage: 'sink', plugin: 'csv', outcome: 'flush_retry', total: 1, rate: 0.5}])
    expect(next.kafkaUp).to.equal(false)
  })

  it('renders every part, cut to the width and height', () => {
    const latest = new LatestRecords(10, () => Date.UTC(2025, 0, 1, 12, 0, 5))
    latest.add({partition: 0, key: 'BTC', record: {symbol: 'BTC', price_usd: 43000.5}})
    latest.add({partition: 1, key: 'ETH', record: {symbol: 'ETH', price_usd: 2500}, dropped: 3})
    const frame = buildFrame(second, first, {ready: false, failing: ['kafka: Kafka does not answer: refused']})
    const lines = renderTop(frame, {
      url: 'http://127.0.0.1:9464',
      width: 100,
      height: 40,
      latest: {records: latest.list(), place: 'after the last step', dropped: latest.dropped},
      footer: 'q quits',
    })
    expect(lines[0]).to.equal('etl top — btc — http://127.0.0.1:9464 — 00:00:12 UTC')
    expect(lines[1]).to.equal('NOT READY │ KAFKA DOWN │ dead letters 2 (ETL_RECORD_INVALID 2)')
    expect(lines[2]).to.equal('  not ready: kafka: Kafka does not answer: refused')
    expect(lines.find((l) => l.startsWith('source'))).to.match(/^source {4}replay {8}produced +100\.0 +300$/)
    expect(lines.find((l) => l.startsWith('process'))).to.match(/^process {3}- {13}dead_lettered ETL_RECORD_INVALID/)
    expect(lines).to.include('lag: not exported here (no process stage, or Kafka did not answer the scrape)')
    expect(lines).to.include('LATEST RECORD PER KEY, after the last step (3 not shown: came faster than read)')
    expect(lines).to.include('  BTC  12:00:05  price_usd=43000.5 symbol=BTC')
    expect(lines.at(-1)).to.equal('q quits')
    expect(lines.every((line) => line.length <= 100)).to.equal(true)
    const short = renderTop(frame, {
      url: 'u',
      width: 30,
      height: 12,
      latest: {records: latest.list(), place: 'x', dropped: 0},
    })
    expect(short.every((line) => line.length <= 30)).to.equal(true)
    expect(short.some((line) => line.startsWith('LATEST'))).to.equal(false)
  })

  it('keeps the latest record per key, the least recent key going first past the bound', () => {
    const latest = new LatestRecords(2)
    for (const key of ['A', 'B', 'A', 'C']) latest.add({partition: 0, key, record: {key}})
    expect(latest.list().map((r) => r.key)).to.deep.equal(['A', 'C'])
    expect(recordSummary({s: 'x', n: 1, o: {a: 1}, m: 22}, 100)).to.equal('n=1 m=22 s=x')
    expect(recordSummary({n: 123456789}, 6)).to.equal('n=123…')
  })
})
