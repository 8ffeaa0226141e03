import {expect} from 'chai'
import {parse} from 'csv-parse/sync'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadPipeline} from '../../src/index.js'
import {EtlError} from '../../src/runtime/errors.js'
import {createLogger} from '../../src/runtime/logger.js'
import {runPipeline, type StageSelection} from '../../src/runtime/run-pipeline.js'
import {committedTotal, partitionSizes, produceRaw, readTopic, uniqueName} from '../support/kafka-test-utils.js'

const DATA = join(import.meta.dirname, '../../data/btcusd-1d-2011-2025.csv')
const FLAKY_SINK = join(import.meta.dirname, '../fixtures/plugins/flaky-sink.mjs')

/** The source file's rows, read independently of the replay plugin. */
function sourceRows(): {timestamp: string; price: number}[] {
  const rows = parse(readFileSync(DATA, 'utf8'), {columns: true}) as Record<string, string>[]
  return rows.map((row) => ({
    timestamp: new Date(Number(row.unix_timestamp) * 1000).toISOString(),
    price: Number(row.close),
  }))
}

function csvRows(path: string): Record<string, string>[] {
  return parse(readFileSync(path, 'utf8'), {columns: true}) as Record<string, string>[]
}

describe('runPipeline through the real broker', function () {
  this.timeout(120_000)
  let dir: string
  let topic: string
  let group: string
  const logs: string[] = []
  const logger = createLogger('test', {write: (line) => logs.push(line), level: 'debug'})
  const header = 'timestamp,open,close,volume,unix_timestamp,high,low\n'
  const lines = readFileSync(DATA, 'utf8').trim().split('\n').slice(1)

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'etl-run-'))
    topic = uniqueName('it-prices')
    group = uniqueName('it-group')
    logs.length = 0
    writeFileSync(join(dir, 'first.csv'), header + lines.slice(0, 50).join('\n') + '\n')
    writeFileSync(join(dir, 'second.csv'), header + lines.slice(50, 100).join('\n') + '\n')
    writeFileSync(join(dir, 'empty.csv'), header)
  })

  function pipelineFile(name: string, replay: string, sinks: string, kafka: string[] = []): string {
    const file = join(dir, `${name}.yaml`)
    writeFileSync(
      file,
      [
        `name: ${name}`,
        `plugins: [${FLAKY_SINK}]`,
        'kafka:',
        `  topic: ${topic}`,
        `  groupId: ${group}`,
        ...kafka,
        'source:',
        '  type: replay',
        `  path: ${join(dir, replay)}`,
        'sinks:',
        sinks,
      ].join('\n'),
    )
    return file
  }

  async function run(file: string, stage: StageSelection = 'all') {
    const pipeline = await loadPipeline(file)
    return runPipeline(pipeline, {
      stage,
      logger,
      signal: new AbortController().signal,
      stateRoot: join(dir, '.etl'),
      localBroker: false,
    })
  }

  /**
   * Sum of the topic's end offsets. The source writes in Kafka transactions, and each commit marker takes an offset
   * of its own, so "everything committed" means committed offsets at the end offsets, not at the record count.
   */
  const topicEnd = async () => [...(await partitionSizes(topic)).values()].reduce((sum, n) => sum + n, 0)

  const csvSink = (path: string) => `  - type: csv\n    path: ${path}\n    columns: [timestamp, symbol, price_usd]`

  it('produce → consume → CSV: every replayed record arrives once, in order, and offsets end committed', async () => {
    const out = join(dir, 'out.csv')
    const summary = await run(pipelineFile('p1', 'first.csv', csvSink(out)))
    const expected = sourceRows().slice(0, 50)
    const rows = csvRows(out)
    expect(rows.map((r) => [r.timestamp, Number(r.price_usd), r.symbol])).to.deep.equal(
      expected.map((e) => [e.timestamp, e.price, 'BTC']),
    )
    expect(await committedTotal(group, topic), 'committed offsets reach the end of the topic').to.equal(
      await topicEnd(),
    )
    expect(summary.counters.get('source replay', 'produced')).to.equal(50)
    expect(summary.counters.get('sink csv', 'written')).to.equal(50)

    // What is on the topic is what the source produced: key = symbol, value = the JSON record.
    const onTopic = await readTopic(topic, 50)
    expect(onTopic.every((m) => m.key === 'BTC')).to.equal(true)
    const first = JSON.parse(onTopic.sort((a, b) => Number(a.offset) - Number(b.offset))[0].value)
    expect(first).to.include({
      symbol: 'BTC',
      price_usd: expected[0].price,
      timestamp: expected[0].timestamp,
      coin_id: 'bitcoin',
      vs_currency: 'usd',
      source: 'replay',
    })
  })

  it('keys every message by kafka.key when the pipeline sets one (an expression over the record)', async () => {
    const out = join(dir, 'out.csv')
    await run(pipelineFile('p-key', 'first.csv', csvSink(out), ["  key: source + ':' + symbol + ':' + vs_currency"]))
    const onTopic = await readTopic(topic, 50)
    expect(onTopic).to.have.length(50)
    expect(new Set(onTopic.map((m) => m.key))).to.deep.equal(new Set(['replay:BTC:usd']))
    expect(csvRows(out)).to.have.length(50)
  })

  it('commits offsets only after all sinks flush; a restart resumes without rewriting committed records', async () => {
    const out = join(dir, 'out.csv')
    await run(pipelineFile('p2', 'first.csv', csvSink(out)))
    const afterFirst = await topicEnd()
    expect(await committedTotal(group, topic)).to.equal(afterFirst)

    // 50 more records, then a process stage whose second sink refuses them: the stage fails, nothing is committed.
    await run(pipelineFile('p2', 'second.csv', csvSink(out)), 'source')
    const failing = pipelineFile('p2', 'empty.csv', `${csvSink(out)}\n  - type: flaky\n    failAfter: 1`)
    const error = await run(failing, 'process').then(
      () => undefined,
      (e: unknown) => e as EtlError,
    )
    expect(error?.code).to.equal('ETL_PLUGIN_FAILED')
    expect(error?.message).to.include('sink plugin "flaky" failed in write (stage process)')
    expect(await committedTotal(group, topic)).to.equal(afterFirst)

    // Restart with sinks that work: it resumes after the first run's records, so those are never written again; the
    // csv sink flushed the failed batch's rows (with their positions) when it closed, so it skips them: exactly once.
    await run(pipelineFile('p2', 'empty.csv', csvSink(out)))
    expect(await committedTotal(group, topic)).to.equal(await topicEnd())
    const rows = csvRows(out)
    expect(rows).to.have.length(100)
    const expected = sourceRows().slice(0, 100)
    const count = (timestamp: string) => rows.filter((r) => r.timestamp === timestamp).length
    for (const record of expected) expect(count(record.timestamp), record.timestamp).to.equal(1)
  })

  it('sends a poison message to the dead-letter topic with its reason, and the rest flows on', async () => {
    const out = join(dir, 'out.csv')
    const good = (price: number, day: number) =>
      JSON.stringify({symbol: 'BTC', price_usd: price, timestamp: `2024-01-0${day}T00:00:00.000Z`})
    // Created by the first run; then another client writes a bad message between two good ones.
    await run(pipelineFile('p3', 'empty.csv', csvSink(out)))
    await produceRaw(topic, [
      {key: 'BTC', value: good(100, 1)},
      {key: 'BTC', value: 'not json {'},
      {key: 'BTC', value: good(101, 2)},
    ])
    const summary = await run(pipelineFile('p3', 'empty.csv', csvSink(out)))

    expect(csvRows(out).map((r) => Number(r.price_usd))).to.deep.equal([100, 101])
    expect(summary.counters.get('process', 'dead_lettered')).to.equal(1)
    const [dead] = await readTopic(`${topic}.dlq`, 1)
    expect(dead.value).to.equal('not json {')
    expect(dead.headers['etl-error-code']).to.equal('ETL_RECORD_INVALID')
    expect(dead.headers['etl-error-message']).to.match(/not JSON/)
    expect(dead.headers['etl-source-topic']).to.equal(topic)
    expect(dead.headers['etl-stage']).to.equal('process')
    expect(logs.some((line) => line.includes(`sent to ${topic}.dlq`))).to.equal(true)
  })
})
