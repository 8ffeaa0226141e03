/**
 * End to end: how `etl run` fails, as a user sees it (the built CLI in its own process): no broker at the given
 * address, and a CoinGecko that refuses the API key. Each ends with a coded message, a non-zero exit, no stack trace,
 * and never the key.
 */
import {expect} from 'chai'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {startFakeCoinGecko, type FakeCoinGecko} from '../support/fake-coingecko.js'
import {freePorts} from '../support/global-broker.js'
import {uniqueName} from '../support/kafka-test-utils.js'
import {buildCli, runEtl, type CliResult} from '../support/run-cli.js'

const repo = resolve(import.meta.dirname, '../..')
const PIPELINE = join(repo, 'pipelines', 'btc.yaml')
const STACK_LINE = /^\s+at /m

function etl(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return runEtl(args, {cwd, env})
}

function buildOnce(): void {
  buildCli()
}

/** btc.yaml with a topic and consumer group of its own, so records other tests left on crypto_prices stay out. */
function isolatedBtcPipeline(dir: string): {file: string; topic: string; groupId: string} {
  const topic = uniqueName('etl-e2e-errors')
  const groupId = uniqueName('etl-e2e-errors-group')
  const text = readFileSync(PIPELINE, 'utf8')
  const changed = text.replace(
    /^kafka:\n {2}topic: crypto_prices$/m,
    `kafka:\n  topic: ${topic}\n  groupId: ${groupId}`,
  )
  expect(changed, 'btc.yaml has kafka.topic: crypto_prices').to.not.equal(text)
  const file = join(dir, 'btc-isolated.yaml')
  writeFileSync(file, changed)
  return {file, topic, groupId}
}

describe('etl run failures (end to end)', function () {
  this.timeout(90_000)
  let cwd: string
  let fake: FakeCoinGecko | undefined

  before(buildOnce)

  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-errors-'))
  })

  afterEach(async () => {
    await fake?.close()
    fake = undefined
    await rm(cwd, {recursive: true, force: true})
  })

  function env(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const base: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ETL_STATE_DIR: join(cwd, '.etl')}
    delete base.ETL_DEBUG
    delete base.COINGECKO_API_KEY
    return {...base, ...extra}
  }

  const unreachableTitle =
    '--no-local-broker --brokers <closed port>: ETL_KAFKA_UNREACHABLE, exit 1, nothing polled or written'
  it(unreachableTitle, async () => {
    fake = await startFakeCoinGecko({auto: true})
    const [port] = await freePorts(1)
    const brokers = `127.0.0.1:${port}`
    const result = await etl(
      ['run', PIPELINE, '--no-local-broker', '--brokers', brokers],
      cwd,
      env({COINGECKO_BASE_URL: fake.baseUrl}),
    )
    expect(result.signal, result.stderr).to.equal(null)
    expect(result.code, result.stderr).to.equal(1)
    expect(result.stderr).to.match(/^ETL_KAFKA_UNREACHABLE: no Kafka broker answered at 127\.0\.0\.1:\d+/m)
    expect(result.stderr).to.include(brokers)
    expect(result.stderr).to.not.match(STACK_LINE)
    expect(result.stderr).to.not.match(/^summary:/m)
    expect(result.stdout).to.equal('')
    expect(fake.requests, 'the source never started').to.have.length(0)
    expect(existsSync(join(cwd, 'data')), 'no sink was created').to.equal(false)
    expect(existsSync(join(cwd, '.etl', 'kafka')), 'no local broker was set up').to.equal(false)
  })

  const keyCases = [
    {title: 'a wrong key', key: 'wrong-key-abc-4567', apiMessage: 'Invalid API Key.'},
    {title: 'no key', key: undefined, apiMessage: 'API Key Missing'},
  ]
  for (const {title, key, apiMessage} of keyCases) {
    const unauthorizedTitle =
      `CoinGecko answering 401 (${title}): ETL_PLUGIN_FAILED naming coingecko with ETL_SOURCE_PERMANENT, ` +
      'exit 1, key never shown'
    it(unauthorizedTitle, async () => {
      const rightKey = 'the-right-key-000111'
      fake = await startFakeCoinGecko({auto: true, requireKey: true, apiKey: rightKey})
      const pipeline = isolatedBtcPipeline(cwd)
      const extra: NodeJS.ProcessEnv = {
        COINGECKO_BASE_URL: fake.baseUrl,
        COINGECKO_INTERVAL: '300ms',
        COINGECKO_BACKFILL: '0',
      }
      if (key) extra.COINGECKO_API_KEY = key
      const result = await etl(['run', pipeline.file], cwd, env(extra))
      expect(result.signal, result.stderr).to.equal(null)
      expect(result.code, result.stderr).to.equal(1)
      const failure = result.stderr.split('\n').find((line) => line.startsWith('ETL_PLUGIN_FAILED'))
      expect(failure, result.stderr).to.be.a('string')
      expect(failure).to.include('source plugin "coingecko"')
      expect(failure).to.include('stage source')
      expect(failure).to.include('ETL_SOURCE_PERMANENT')
      expect(failure).to.include('HTTP 401')
      expect(failure).to.include(apiMessage)
      expect(failure).to.include('COINGECKO_API_KEY')
      expect(result.stderr).to.not.match(STACK_LINE)
      expect(result.stderr, 'the process stage was stopped cleanly').to.not.match(/\[etl:kafka\] Crash:/)
      // A permanent error is not retried: one request, which carried the configured key (if any) in the header.
      const polls = fake.requests.filter((r) => r.path === '/simple/price')
      expect(polls).to.have.length(1)
      expect(polls[0].headers['x-cg-demo-api-key']).to.equal(key)
      const output = result.stdout + result.stderr
      if (key) expect(output).to.not.include(key)
      expect(output).to.not.include(rightKey)
      expect(fake.served).to.have.length(0)
      expect(result.stdout).to.equal('')
    })
  }

  // Stopping while the consumer is still joining its group must leave the group cleanly, or every next run waits.
  it('a 401 on the very first poll stops the run cleanly while the consumer is still joining its group', async () => {
    fake = await startFakeCoinGecko({auto: true, requireKey: true, apiKey: 'the-right-key-000111'})
    const {file} = isolatedBtcPipeline(cwd)
    for (let run = 1; run <= 3; run++) {
      const result = await etl(
        ['run', file],
        cwd,
        env({COINGECKO_BASE_URL: fake.baseUrl, COINGECKO_API_KEY: 'wrong-key-abc-4567'}),
      )
      expect(result.code, result.stderr).to.equal(1)
      expect(result.stderr).to.match(/^ETL_PLUGIN_FAILED: source plugin "coingecko"/m)
      expect(result.stderr, `run ${run}: the consumer was stopped cleanly`).to.not.match(
        /\[etl:kafka\] Crash:|write after end/,
      )
    }
  })
})
