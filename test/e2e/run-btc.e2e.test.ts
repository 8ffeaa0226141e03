/**
 * End to end: `etl run pipelines/btc.yaml` as a user runs it (the built CLI in its own process), against the local
 * CoinGecko look-alike and the real test broker. Checks that what the fake served reaches the CSV and stdout sinks
 * through the real Kafka topic, that rate limits and broken bodies are retried (honouring Retry-After), that Ctrl-C
 * stops cleanly, and that the API key is sent where it belongs and printed nowhere.
 */
import {expect} from 'chai'
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {parse} from 'csv-parse/sync'
import {parse as parseYaml} from 'yaml'
import {startFakeCoinGecko, type FakeCoinGecko, type ServedPrice} from '../support/fake-coingecko.js'
import {committedTotal, readTopic} from '../support/kafka-test-utils.js'

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
  const child = spawn(process.execPath, [join(repo, 'bin', 'run.js'), ...args], {cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
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
  // Other parts of the tree may not type-check mid-change; tsc still emits, and the built CLI is what is tested.
  const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc')
  spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {cwd: repo, stdio: 'ignore'})
  for (const file of ['commands/run.js', 'plugins/source/coingecko.js']) {
    expect(existsSync(join(repo, 'dist', file)), `dist/${file} after the build`).to.equal(true)
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor(what: string, timeoutMs: number, check: () => boolean, cli?: RunningCli): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (cli && cli.child.exitCode !== null) throw new Error(`etl exited (${cli.child.exitCode}) while waiting for ${what}\n${cli.output.stderr}`)
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${cli?.output.stderr ?? ''}`)
    await sleep(100)
  }
}

function readCsv(path: string): string[][] {
  if (!existsSync(path)) return []
  return parse(readFileSync(path, 'utf8'), {relax_column_count: false}) as string[][]
}

/** The identity of one price record: what must match between the fake, the topic and the sinks. */
const rowKey = (symbol: string, price: string, timestamp: string) => `${symbol}|${price}|${timestamp}`

function servedKey(entry: ServedPrice): string {
  return rowKey(SYMBOLS[entry.coin_id], String(entry.price), new Date((entry.last_updated_at as number) * 1000).toISOString())
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

  it('retries 429s and broken bodies, writes exactly what was served via Kafka to CSV and stdout, stops on SIGINT', async () => {
    fake.enqueue({status: 429, retryAfter: 1, body: 'json'}, {malformed: 'truncated'}, {status: 429, body: 'html'})
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NO_COLOR: '1',
      COINGECKO_BASE_URL: fake.baseUrl,
      COINGECKO_INTERVAL: '300ms',
      COINGECKO_API_KEY: API_KEY,
      ETL_STATE_DIR: join(cwd, '.etl'),
    }
    delete env.ETL_DEBUG
    delete env.ETL_LOG_LEVEL
    expect(env.KAFKA_BROKERS, 'KAFKA_BROKERS from the global broker fixture').to.be.a('string').and.not.equal('')
    const csvPath = join(cwd, 'data', 'btc_prices.csv')
    const simplePrice = () => fake.requests.filter((r) => r.path === '/simple/price')

    cli = startEtl(['run', PIPELINE], cwd, env)
    const running = cli

    // Enough rows, then give the sinks the chance to catch up with everything served so far, then Ctrl-C.
    await waitFor('8 data rows in data/btc_prices.csv', 60_000, () => readCsv(csvPath).length - 1 >= 8, running)
    const snapshot = fake.served.filter((e) => e.valid).map(servedKey)
    await waitFor('every price served so far to reach the CSV', 30_000, () => {
      const rows = new Set(readCsv(csvPath).slice(1).map((r) => rowKey(r[1], r[2], r[0])))
      return snapshot.every((key) => rows.has(key))
    }, running)
    running.child.kill('SIGINT')
    const {code, signal} = await running.exited
    const {stdout, stderr} = running.output

    expect(signal, stderr).to.equal(null)
    expect(code, stderr).to.equal(0)
    expect(stderr).to.match(/^summary:$/m)
    expect(stderr).to.not.match(/^\s+at /m, 'no stack trace')

    // --- CSV: header from btc.yaml, every row among what was served, no duplicates, nothing served early missing.
    const yaml = parseYaml(readFileSync(PIPELINE, 'utf8')) as {kafka: {topic: string}; sinks: {type: string; columns?: string[]}[]}
    const columns = yaml.sinks.find((s) => s.type === 'csv')!.columns!
    const [header, ...rows] = readCsv(csvPath)
    expect(header).to.deep.equal(columns)
    const col = (name: string) => columns.indexOf(name)
    const csvKeys = rows.map((r) => rowKey(r[col('symbol')], r[col('price_usd')], r[col('timestamp')]))
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
    // prefix of what was served, in order, and anything missing was served after the snapshot.
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
      const row = rows.find((r) => rowKey(r[col('symbol')], r[col('price_usd')], r[col('timestamp')]) === servedKey(entry))!
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
    const requests = simplePrice()
    expect(requests.length, 'three faults, then one request per good answer').to.be.at.least(3 + valid.length / 2)
    const [rateLimited, afterRetryAfter] = requests
    expect(afterRetryAfter.at - rateLimited.at, 'the retry after Retry-After: 1 waited at least 1 s').to.be.at.least(1000)
    expect(stderr).to.match(/429/)
    expect(stderr).to.match(/retrying/i)
    expect(stderr).to.match(/invalid or truncated JSON/)

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
    expect(await committedTotal('etl-btc', yaml.kafka.topic), 'committed offsets = rows written').to.equal(rows.length)
  })
})
