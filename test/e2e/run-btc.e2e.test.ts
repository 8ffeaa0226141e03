/**
 * End to end: `etl run pipelines/btc.yaml` as a user runs it (the built CLI in its own process), against the local
 * CoinGecko look-alike and the real test broker. Checks that what the fake served reaches the CSV and stdout sinks
 * through the real Kafka topic, that rate limits and broken bodies are retried (honouring Retry-After), that Ctrl-C
 * stops cleanly, and that the API key is sent where it belongs and printed nowhere.
 */
import {expect} from 'chai'
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {parse} from 'csv-parse/sync'
import {parse as parseYaml} from 'yaml'
import {createLogger} from '../../src/runtime/logger.js'
import {startLocalBroker, stopLocalBroker} from '../../src/runtime/kafka-local/local-broker.js'
import {startFakeCoinGecko, type FakeCoinGecko, type ServedPrice} from '../support/fake-coingecko.js'
import {freePorts} from '../support/global-broker.js'
import {committedOffsets, readTopic} from '../support/kafka-test-utils.js'
import {buildCli} from '../support/run-cli.js'

const repo = resolve(import.meta.dirname, '../..')
const PIPELINE = join(repo, 'pipelines', 'btc.yaml')
const API_KEY = 'some-secret-test-key-123'
const SYMBOLS: Record<string, string> = {bitcoin: 'BTC', ethereum: 'ETH'}

interface RunningCli {
  child: ChildProcess
  output: {stdout: string; stderr: string}
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>
}

function startEtl(args: string[], cwd: string, env: NodeJS.ProcessEnv): RunningCli {
  const child = spawn(process.execPath, [join(repo, 'bin', 'run.js'), ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = {stdout: '', stderr: ''}
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()))
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((done, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => done({code, signal}))
  })
  return {child, output, exited}
}

function buildOnce(): void {
  buildCli()
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor(what: string, timeoutMs: number, check: () => boolean, cli?: RunningCli): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (cli && cli.child.exitCode !== null)
      throw new Error(`etl exited (${cli.child.exitCode}) while waiting for ${what}\n${cli.output.stderr}`)
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${cli?.output.stderr ?? ''}`)
    await sleep(100)
  }
}

function readCsv(path: string): string[][] {
  if (!existsSync(path)) return []
  return parse(readFileSync(path, 'utf8'), {relax_column_count: false}) as string[][]
}

/** For polling while etl writes: a half-written last row reads as "not yet" instead of failing the test. */
function peekCsv(path: string): string[][] {
  try {
    return readCsv(path)
  } catch {
    return []
  }
}

/** The identity of one price record: what must match between the fake, the topic and the sinks. */
const rowKey = (symbol: string, price: string, timestamp: string) => `${symbol}|${price}|${timestamp}`

function servedKey(entry: ServedPrice): string {
  return rowKey(
    SYMBOLS[entry.coin_id],
    String(entry.price),
    new Date((entry.last_updated_at as number) * 1000).toISOString(),
  )
}

describe('etl run pipelines/btc.yaml (end to end, fake CoinGecko, real Kafka)', function () {
  this.timeout(150_000)
  let fake: FakeCoinGecko
  let cwd: string
  let cli: RunningCli | undefined

  before(buildOnce)

  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-btc-'))
    fake = await startFakeCoinGecko({auto: true})
  })

  afterEach(async () => {
    if (cli && cli.child.exitCode === null && cli.child.signalCode === null) {
      cli.child.kill('SIGKILL')
      await cli.exited.catch(() => undefined)
    }
    cli = undefined
    await fake.close()
    await rm(cwd, {recursive: true, force: true})
  })

  const retriesTitle =
    'retries 429s and broken bodies, writes exactly what was served via Kafka to CSV and stdout, stops on SIGINT'
  it(retriesTitle, async () => {
    fake.enqueue({status: 429, retryAfter: 1, body: 'json'}, {malformed: 'truncated'}, {status: 429, body: 'html'})
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NO_COLOR: '1',
      COINGECKO_BASE_URL: fake.baseUrl,
      COINGECKO_INTERVAL: '300ms',
      COINGECKO_BACKFILL: '0', // these tests compare the CSV with /simple/price answers; backfill has its own tests
      COINGECKO_API_KEY: API_KEY,
      ETL_STATE_DIR: join(cwd, '.etl'),
    }
    delete env.ETL_DEBUG
    delete env.ETL_LOG_LEVEL
    expect(env.KAFKA_BROKERS, 'KAFKA_BROKERS from the global broker fixture').to.be.a('string').and.not.equal('')
    const yaml = parseYaml(readFileSync(PIPELINE, 'utf8')) as {
      kafka: {topic: string}
      sinks: {type: string; path?: string; columns?: string[]}[]
    }
    const csvSink = yaml.sinks.find((s) => s.type === 'csv')!
    const columns = csvSink.columns!
    const col = (name: string) => columns.indexOf(name)
    const keyOfRow = (r: string[]) => rowKey(r[col('symbol')], r[col('price_usd')], r[col('timestamp')])
    // A relative sink path lands in the working directory.
    expect(csvSink.path).to.equal('data/btc_prices.csv')
    const csvPath = join(cwd, 'data', 'btc_prices.csv')

    cli = startEtl(['run', PIPELINE], cwd, env)
    const running = cli

    // Enough rows, then give the sinks the chance to catch up with everything served so far, then Ctrl-C.
    await waitFor('8 data rows in data/btc_prices.csv', 60_000, () => peekCsv(csvPath).length - 1 >= 8, running)
    const snapshot = fake.served.filter((e) => e.valid).map(servedKey)
    await waitFor(
      'every price served so far to reach the CSV',
      30_000,
      () => {
        const rows = new Set(peekCsv(csvPath).slice(1).map(keyOfRow))
        return snapshot.every((key) => rows.has(key))
      },
      running,
    )
    running.child.kill('SIGINT')
    const {code, signal} = await running.exited
    const {stdout, stderr} = running.output

    expect(signal, stderr).to.equal(null)
    expect(code, stderr).to.equal(0)
    expect(stderr).to.match(/^summary:$/m)
    expect(stderr).to.not.match(/^\s+at /m, 'no stack trace')

    // --- CSV: header from btc.yaml, every row among what was served, no duplicates, nothing served early missing.
    const [header, ...rows] = readCsv(csvPath)
    expect(header).to.deep.equal(columns)
    const csvKeys = rows.map(keyOfRow)
    expect(new Set(csvKeys).size, 'duplicate CSV rows').to.equal(csvKeys.length)

    const valid = fake.served.filter((e) => e.valid)
    expect(valid.length, 'every served entry is valid (faults are never served)').to.equal(fake.served.length)
    const servedKeys = valid.map(servedKey)
    expect(new Set(servedKeys).size, 'the fake serves a new last_updated_at on every poll').to.equal(servedKeys.length)
    const served = new Set(servedKeys)
    for (const key of csvKeys) expect(served.has(key), `CSV row ${key} was never served`).to.equal(true)
    const inCsv = new Set(csvKeys)
    for (const key of snapshot) expect(inCsv.has(key), `served ${key} is missing from the CSV`).to.equal(true)
    // Only the newest polls may be missing (produced to Kafka, not yet consumed at Ctrl-C): per coin, the CSV holds a
    // prefix of what was served, in order (one partition per symbol).
    for (const id of Object.keys(SYMBOLS)) {
      const ofCoin = valid.filter((e) => e.coin_id === id).map(servedKey)
      const written = csvKeys.filter((key) => key.startsWith(`${SYMBOLS[id]}|`))
      expect(written, `${id} rows in CSV order`).to.deep.equal(ofCoin.slice(0, written.length))
    }
    // Every row carries the rest of the served data too (market data, provenance).
    for (const row of rows) {
      expect(row[col('coin_id')]).to.be.oneOf(Object.keys(SYMBOLS))
      expect(row[col('vs_currency')]).to.equal('usd')
      expect(row[col('source')]).to.equal('coingecko')
      expect(Number(row[col('market_cap_usd')])).to.be.greaterThan(0)
      expect(Number(row[col('volume_24h_usd')])).to.be.greaterThan(0)
      expect(row[col('change_24h_pct')]).to.match(/^-?\d+(\.\d+)?$/)
    }
    const snapshotEntries = valid.filter((e) => snapshot.includes(servedKey(e)))
    for (const entry of snapshotEntries) {
      const row = rows.find((r) => keyOfRow(r) === servedKey(entry))!
      expect(row[col('market_cap_usd')]).to.equal(String(entry.market_cap))
      expect(row[col('volume_24h_usd')]).to.equal(String(entry.volume_24h))
      expect(row[col('change_24h_pct')]).to.equal(String(entry.change_24h))
    }

    // --- stdout sink: one JSON line per record, the fields btc.yaml picks, the same records as the CSV.
    const lines = stdout.split('\n').filter((line) => line.trim() !== '')
    const printed = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    for (const record of printed) {
      expect(record).to.have.all.keys('timestamp', 'symbol', 'price_usd', 'change_24h_pct')
      expect(record.symbol).to.be.oneOf(['BTC', 'ETH'])
      expect(record.price_usd).to.be.a('number').greaterThan(0)
    }
    const printedKeys = printed.map((r) => rowKey(String(r.symbol), String(r.price_usd), String(r.timestamp)))
    expect([...printedKeys].sort()).to.deep.equal([...csvKeys].sort())

    // --- Retries: 429 (Retry-After: 1), truncated body, HTML 429, then a good answer.
    const requests = fake.requests.filter((r) => r.path === '/simple/price')
    expect(requests.length, 'three faults, then one request per good answer').to.be.at.least(3 + valid.length / 2)
    const [rateLimited, afterRetryAfter] = requests
    expect(afterRetryAfter.at - rateLimited.at, 'the retry after Retry-After: 1 waited at least 1 s').to.be.at.least(
      1000,
    )
    expect(stderr).to.match(/HTTP 429 rate limited; retrying in \S+ .*retryAfterMs=1000/)
    expect(stderr).to.match(/body is invalid or truncated JSON .*; retrying in /)
    expect(stderr.match(/HTTP 429 rate limited; retrying in /g), 'both 429s reported').to.have.length(2)
    expect(stderr).to.match(/succeeded after 4 attempts/)

    // --- The key: in the demo header of every request, never in the URL, never printed.
    for (const request of requests) {
      expect(request.headers['x-cg-demo-api-key']).to.equal(API_KEY)
      expect(request.headers['x-cg-pro-api-key']).to.equal(undefined)
      expect(JSON.stringify(request.query)).to.not.include(API_KEY)
    }
    expect(stdout).to.not.include(API_KEY)
    expect(stderr).to.not.include(API_KEY)

    // --- Kafka: the records really went through the topic named in btc.yaml, and the group committed the CSV rows.
    const summaryLine = (scope: string) => {
      const match = new RegExp(`^\\s+${scope}\\s+(\\d+)$`, 'm').exec(stderr)
      return match ? Number(match[1]) : 0
    }
    const produced = summaryLine('source coingecko produced')
    expect(produced, stderr).to.be.at.least(rows.length)
    expect(summaryLine('sink csv written')).to.equal(rows.length)
    expect(summaryLine('sink stdout written')).to.equal(rows.length)
    const messages = await readTopic(yaml.kafka.topic, produced, 30_000)
    expect(messages).to.have.length(produced)
    const topicKeys = messages.map((m) => {
      const value = JSON.parse(m.value) as Record<string, unknown>
      expect(m.key, 'keyed by symbol').to.equal(value.symbol)
      return rowKey(String(value.symbol), String(value.price_usd), String(value.timestamp))
    })
    expect(new Set(topicKeys).size).to.equal(topicKeys.length)
    const onTopic = new Set(topicKeys)
    for (const key of csvKeys) expect(onTopic.has(key), `CSV row ${key} is on the topic`).to.equal(true)
    for (const key of topicKeys) expect(served.has(key), `topic record ${key} was served`).to.equal(true)
    // Every record is committed: per partition, the committed offset is past the last record. (The source writes in
    // Kafka transactions, so a commit marker follows each batch; whether the consumer fetched the last marker before
    // SIGINT is a race, and a marker holds no data, so the end offsets are not the bar.)
    const lastRecord = new Map<number, number>()
    for (const m of messages) lastRecord.set(m.partition, Math.max(lastRecord.get(m.partition) ?? -1, Number(m.offset)))
    const committed = await committedOffsets('etl-btc', yaml.kafka.topic)
    for (const [partition, offset] of lastRecord) {
      expect(
        committed.get(partition),
        `partition ${partition}: committed past its last record (offset ${offset})`,
      ).to.be.greaterThan(offset)
    }
  })

  // After a broker restart kafkajs restarts the consumer by itself; rows must keep flowing, and Ctrl-C still ends etl.
  it('keeps writing after its broker restarts, then exits cleanly on SIGINT', async function () {
    this.timeout(240_000)
    const quiet = createLogger('test-broker', {level: 'error'})
    const stateDir = join(cwd, 'broker')
    const [port, controllerPort] = await freePorts(2)
    const brokers = `127.0.0.1:${port}`
    await startLocalBroker({stateDir, port, controllerPort, logger: quiet})
    try {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        NO_COLOR: '1',
        COINGECKO_BASE_URL: fake.baseUrl,
        COINGECKO_INTERVAL: '300ms',
        COINGECKO_BACKFILL: '0', // these tests compare the CSV with /simple/price answers; backfill has its own tests
        ETL_STATE_DIR: join(cwd, '.etl'),
      }
      const csvPath = join(cwd, 'data', 'btc_prices.csv')
      const dataRows = () => Math.max(0, peekCsv(csvPath).length - 1)
      cli = startEtl(['run', PIPELINE, '--brokers', brokers], cwd, env)
      const running = cli
      await waitFor('4 data rows before the restart', 60_000, () => dataRows() >= 4, running)
      await stopLocalBroker({stateDir, logger: quiet})
      await sleep(2000)
      await startLocalBroker({stateDir, port, controllerPort, logger: quiet})
      const before = dataRows()
      await waitFor('rows written after the broker came back', 120_000, () => dataRows() >= before + 4, running)
      running.child.kill('SIGINT')
      await waitFor(
        'etl to exit after SIGINT',
        60_000,
        () => running.child.exitCode !== null || running.child.signalCode !== null,
      )
      const {code} = await running.exited
      expect(code, running.output.stderr).to.equal(0)
      expect(running.output.stderr).to.match(/^summary:$/m)
      const [header, ...rows] = readCsv(csvPath)
      const at = (name: string) => header.indexOf(name)
      const keys = rows.map((r) => rowKey(r[at('symbol')], r[at('price_usd')], r[at('timestamp')]))
      const served = new Set(fake.served.map(servedKey))
      for (const key of keys) expect(served.has(key), `CSV row ${key} was served`).to.equal(true)
    } finally {
      await stopLocalBroker({stateDir, logger: quiet})
    }
  })
})
