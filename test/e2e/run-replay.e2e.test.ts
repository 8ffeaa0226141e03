/**
 * End to end: `etl run pipelines/btc-replay.yaml` as a user runs it. The replay is finite, so the run must end by
 * itself once every record went source → Kafka → filter/map → CSV. The expected CSV is computed here, independently
 * of etl, from the source file. The source writes in Kafka transactions with its position, so a second run of the
 * same file finds the replay complete: it adds nothing to the topic or the CSV, and the offsets stay at the end.
 */
import {expect} from 'chai'
import {copyFileSync, existsSync, mkdirSync, readFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {parse} from 'csv-parse/sync'
import {Kafka, logLevel} from 'kafkajs'
import {parse as parseYaml} from 'yaml'
import {committedTotal, testBrokers} from '../support/kafka-test-utils.js'
import {buildCli, runEtl, type CliResult} from '../support/run-cli.js'

const repo = resolve(import.meta.dirname, '../..')
const PIPELINE = join(repo, 'pipelines', 'btc-replay.yaml')
const HISTORY = join(repo, 'data', 'btcusd-1d-2011-2025.csv')
const TOPIC = 'crypto_prices_replay'
const GROUP = 'etl-btc-replay'
const ROWS = 5152

function etl(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return runEtl(args, {cwd, env})
}

function buildOnce(): void {
  buildCli()
}

/** Sum of the topic's end offsets (0 when the topic does not exist yet). */
async function topicEnd(topic: string): Promise<number> {
  const admin = new Kafka({clientId: 'etl-test', brokers: testBrokers(), logLevel: logLevel.NOTHING}).admin()
  await admin.connect()
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0
    const offsets = await admin.fetchTopicOffsets(topic)
    return offsets.reduce((sum, p) => sum + Number(p.high), 0)
  } finally {
    await admin.disconnect()
  }
}

/**
 * round(x, 2) as the expression language defines it: half away from zero on the number as written (its shortest
 * decimal form), so round(1.005, 2) is 1.01. x itself is the IEEE double the formula gives, e.g. (423.9 - 400) / 400
 * * 100 is 5.974999999999994, which rounds to 5.97.
 */
function round2(value: number): string {
  const sign = value < 0 ? -1 : 1
  let text = String(Math.abs(value))
  if (/e/i.test(text)) text = Math.abs(value).toFixed(20)
  const [whole, fraction = ''] = text.split('.')
  let cents = BigInt(whole) * 100n + BigInt((fraction + '00').slice(0, 2))
  if (Number(fraction[2] ?? '0') >= 5) cents += 1n
  return String((sign * Number(cents)) / 100)
}

/** The CSV btc-replay.yaml must produce, row by row, derived from the history file alone. */
function expectedRows(columns: string[]): string[][] {
  const history = parse(readFileSync(HISTORY, 'utf8'), {columns: true, skip_empty_lines: true}) as Record<
    string,
    string
  >[]
  const rows: string[][] = []
  for (const row of history) {
    const close = Number(row.close)
    if (!(close > 0)) continue // filter: price_usd > 0
    const [high, low] = [Number(row.high), Number(row.low)]
    const record: Record<string, string> = {
      timestamp: new Date(Number(row.unix_timestamp) * 1000).toISOString(),
      symbol: 'BTC',
      price_usd: String(close),
      open: String(Number(row.open)),
      high: String(high),
      low: String(low),
      volume: String(Number(row.volume)),
      range_pct: low === 0 ? '' : round2(((high - low) / low) * 100),
      coin_id: 'bitcoin',
      vs_currency: 'usd',
      source: 'replay',
    }
    rows.push(columns.map((column) => record[column]))
  }
  return rows
}

describe('etl run pipelines/btc-replay.yaml (end to end, real Kafka)', function () {
  this.timeout(240_000)
  let cwd: string
  let env: NodeJS.ProcessEnv

  before(async () => {
    buildOnce()
  })

  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-replay-'))
    env = {...process.env, NO_COLOR: '1', ETL_STATE_DIR: join(cwd, `.etl-${Date.now()}`)}
    delete env.ETL_DEBUG
    delete env.ETL_LOG_LEVEL
    expect(env.KAFKA_BROKERS, 'KAFKA_BROKERS from the global broker fixture').to.be.a('string').and.not.equal('')
    // The file's path is relative to the working directory; give the run its own copy there.
    mkdirSync(join(cwd, 'data'))
    copyFileSync(HISTORY, join(cwd, 'data', 'btcusd-1d-2011-2025.csv'))
  })

  afterEach(async () => {
    await rm(cwd, {recursive: true, force: true})
  })

  it('ends by itself with every replayed row in the CSV; a second run of the same file adds nothing', async () => {
    const yaml = parseYaml(readFileSync(PIPELINE, 'utf8')) as {
      kafka: {topic: string}
      sinks: {path: string; columns: string[]}[]
    }
    expect(yaml.kafka.topic).to.equal(TOPIC)
    const {path, columns} = yaml.sinks[0]
    const csvPath = join(cwd, path)
    const expected = expectedRows(columns)
    expect(expected, 'rows of the history file with a positive close').to.have.length(ROWS)
    const endBefore = await topicEnd(TOPIC)

    // --- First run: ends on its own, exit 0, exactly the expected rows in order (one key, so one partition).
    const first = await etl(['run', PIPELINE], cwd, env)
    expect(first.signal, first.stderr).to.equal(null)
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stderr).to.match(/^summary:$/m)
    expect(first.stderr).to.match(/^\s+sink csv written\s+5152$/m)
    expect(first.stderr).to.not.match(/^\s+at /m)
    const [header, ...rows] = parse(readFileSync(csvPath, 'utf8')) as string[][]
    expect(header).to.deep.equal(columns)
    expect(rows).to.have.length(ROWS)
    for (const [i, row] of rows.entries()) expect(row, `CSV data row ${i + 1}`).to.deep.equal(expected[i])
    // Every record once, plus one commit marker per transaction (500 records each, the replay's batchSize or fewer).
    const endAfterFirst = await topicEnd(TOPIC)
    expect(endAfterFirst - endBefore).to.be.within(ROWS + Math.ceil(ROWS / 5000), ROWS + Math.ceil(ROWS / 500) + 1)
    expect(await committedTotal(GROUP, TOPIC), 'committed offsets reach the end of the topic').to.equal(endAfterFirst)

    // --- Second run: the source's checkpoint says the file was replayed to its end: nothing new anywhere.
    const second = await etl(['run', PIPELINE], cwd, env)
    expect(second.code, second.stderr).to.equal(0)
    expect(second.stderr).to.include('this replay already ran to its end')
    expect(second.stderr).to.not.match(/^\s+source replay produced/m)
    const [header2, ...rows2] = parse(readFileSync(csvPath, 'utf8')) as string[][]
    expect(header2).to.deep.equal(columns)
    expect(rows2).to.deep.equal(expected)
    const end = await topicEnd(TOPIC)
    expect(end - endAfterFirst, 'at most one marker: the second run wrote no record').to.be.at.most(1)
    expect(await committedTotal(GROUP, TOPIC), 'committed offsets reach the end of the topic').to.be.at.least(
      endAfterFirst,
    )
  })

  const shippedCopyTitle =
    'without data/ in the working directory, replays the copy shipped with etl (the path is the default one)'
  it(shippedCopyTitle, async () => {
    await rm(join(cwd, 'data'), {recursive: true, force: true})
    const yaml = parseYaml(readFileSync(PIPELINE, 'utf8')) as {
      source: {path: string}
      sinks: {path: string; columns: string[]}[]
    }
    expect(yaml.source.path, 'btc-replay.yaml names the default path explicitly').to.equal(
      'data/btcusd-1d-2011-2025.csv',
    )
    const endBefore = await topicEnd(TOPIC)
    const result = await etl(['run', PIPELINE], cwd, env)
    expect(result.code, result.stderr).to.equal(0)
    const [header, ...rows] = parse(readFileSync(join(cwd, yaml.sinks[0].path), 'utf8')) as string[][]
    expect(header).to.deep.equal(yaml.sinks[0].columns)
    expect(rows).to.deep.equal(expectedRows(yaml.sinks[0].columns))
    expect(
      existsSync(join(cwd, 'data', 'btcusd-1d-2011-2025.csv')),
      'nothing copied into the working directory',
    ).to.equal(false)
    const end = await topicEnd(TOPIC)
    expect(end - endBefore).to.be.within(ROWS + 1, ROWS + Math.ceil(ROWS / 500) + 1)
    expect(await committedTotal(GROUP, TOPIC)).to.equal(end)
  })
})
