/**
 * End to end: the runtime's retry policy as a user meets it, through the built CLI and the real broker. Third-party
 * sinks loaded by path fail their flushes (a few times, always, or permanently); a coingecko source with a per-stage
 * `retry:` gives up after its attempts, and an unknown coin (HTTP 404) stops it at once.
 */
import {expect} from 'chai'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {createCliWorkspace} from '../support/cli-workspace.js'
import {startFakeCoinGecko, type FakeCoinGecko} from '../support/fake-coingecko.js'
import {committedTotal, partitionSizes} from '../support/kafka-test-utils.js'
import {buildCli, runEtl} from '../support/run-cli.js'

const repo = resolve(import.meta.dirname, '../..')
const HISTORY = join(repo, 'data', 'btcusd-1d-2011-2025.csv')
const SINKS = join(repo, 'test', 'fixtures', 'plugins', 'unreliable-sinks.mjs')
const STACK_LINE = /^\s+at /m
const ROWS = 20

/** Timestamps of the first `count` rows of the history, as the replay source stamps its records. */
function historyTimestamps(count: number): string[] {
  const lines = readFileSync(HISTORY, 'utf8').trim().split('\n')
  const column = lines[0].split(',').indexOf('unix_timestamp')
  return lines.slice(1, count + 1).map((line) => new Date(Number(line.split(',')[column]) * 1000).toISOString())
}

describe('etl run: retries (end to end, real Kafka)', function () {
  this.timeout(120_000)
  let cwd: string
  let env: NodeJS.ProcessEnv
  let topic: string
  let group: string
  let fake: FakeCoinGecko | undefined

  before(() => buildCli())

  beforeEach(async () => {
    ;({cwd, env, topic, group} = await createCliWorkspace('retry', HISTORY, ROWS))
    delete env.COINGECKO_API_KEY
  })

  afterEach(async () => {
    await fake?.close()
    fake = undefined
    await rm(cwd, {recursive: true, force: true})
  })

  /** A replay of ROWS rows into the unreliable sink; `sink` adds lines to its entry. */
  function sinkPipeline(sink: string[]): string {
    const file = join(cwd, 'pipeline.yaml')
    writeFileSync(
      file,
      [
        'name: retry-e2e',
        `plugins: [${SINKS}]`,
        'kafka:',
        `  topic: ${topic}`,
        `  groupId: ${group}`,
        '  partitions: 1',
        'source:',
        '  type: replay',
        '  path: rows.csv',
        'sinks:',
        '  - type: unreliable',
        '    path: out.jsonl',
        ...sink.map((line) => `    ${line}`),
      ].join('\n') + '\n',
    )
    return file
  }

  const attempts = () => readFileSync(join(cwd, 'out.jsonl.attempts'), 'utf8').trim().split('\n')
  const retryWarnings = (stderr: string) =>
    stderr.split('\n').filter((line) => / WARN .*\[etl:sink:unreliable\] flush failed/.test(line))

  const retriedTitle =
    'a sink whose first flushes fail is retried (default policy) and every row arrives exactly once, in order'
  it(retriedTitle, async () => {
    const result = await runEtl(['run', sinkPipeline(['failFlushes: 2'])], {cwd, env})
    expect(result.code, result.stderr).to.equal(0)
    const rows = readFileSync(join(cwd, 'out.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as {timestamp: string})
    expect(rows.map((row) => row.timestamp)).to.deep.equal(historyTimestamps(ROWS))
    expect(attempts()).to.have.length.at.least(3)
    const warnings = retryWarnings(result.stderr)
    expect(warnings, result.stderr).to.have.length(2)
    expect(warnings[0])
      .to.include('flush failed: storage refused flush attempt 1; retrying in')
      .and.include('attempt=1')
      .and.include('maxAttempts=5')
    expect(warnings[1]).to.include('attempt=2')
    expect(result.stderr).to.match(/^\s+sink unreliable sink_retry\s+2$/m)
    expect(result.stderr).to.match(new RegExp(`^\\s+sink unreliable flushed_rows\\s+${ROWS}$`, 'm'))
    // Everything on the topic is committed (the end offset, which may count a transaction marker besides the rows).
    const end = [...(await partitionSizes(topic)).values()].reduce((sum, size) => sum + size, 0)
    expect(end).to.be.at.least(ROWS)
    expect(await committedTotal(group, topic)).to.equal(end)
  })

  const exhaustedTitle =
    'a sink that always fails ends the run after retry.maxAttempts with ETL_PLUGIN_FAILED naming it; nothing committed'
  it(exhaustedTitle, async () => {
    const result = await runEtl(
      ['run', sinkPipeline(['failFlushes: 1000', 'retry: {maxAttempts: 3, initialDelay: 10ms, maxDelay: 50ms}'])],
      {cwd, env},
    )
    expect(result.signal, result.stderr).to.equal(null)
    expect(result.code, result.stderr).to.equal(1)
    const failure = result.stderr.split('\n').find((line) => line.startsWith('ETL_PLUGIN_FAILED'))
    expect(failure, result.stderr).to.equal(
      'ETL_PLUGIN_FAILED: sink plugin "unreliable" failed in flush (stage process): flush failed 3 times in a row ' +
        '(retry.maxAttempts 3); last error: storage refused flush attempt 3',
    )
    expect(attempts()).to.deep.equal(['1', '2', '3'])
    expect(retryWarnings(result.stderr)).to.have.length(2)
    expect(result.stderr).to.not.match(STACK_LINE)
    expect(existsSync(join(cwd, 'out.jsonl'))).to.equal(false)
    expect(await committedTotal(group, topic)).to.equal(0)
  })

  it('a sink error marked ETL_SINK_PERMANENT fails the run at the first attempt', async () => {
    const result = await runEtl(['run', sinkPipeline(['failFlushes: 1000', 'permanent: true'])], {cwd, env})
    expect(result.code, result.stderr).to.equal(1)
    expect(result.stderr).to.match(
      new RegExp(
        String.raw`^ETL_PLUGIN_FAILED: sink plugin "unreliable" failed in flush \(stage process\): ` +
          String.raw`ETL_SINK_PERMANENT: storage refused flush attempt 1$`,
        'm',
      ),
    )
    expect(attempts()).to.deep.equal(['1'])
    expect(retryWarnings(result.stderr)).to.deep.equal([])
    expect(result.stderr).to.not.match(STACK_LINE)
    expect(await committedTotal(group, topic)).to.equal(0)
  })

  describe('coingecko source', () => {
    function coingeckoPipeline(source: string[]): string {
      const file = join(cwd, 'coingecko.yaml')
      writeFileSync(
        file,
        [
          'name: retry-e2e-coingecko',
          'kafka:',
          `  topic: ${topic}`,
          `  groupId: ${group}`,
          'source:',
          '  type: coingecko',
          '  interval: 300ms',
          ...source.map((line) => `  ${line}`),
          'sinks:',
          '  - type: csv',
          '    path: prices.csv',
        ].join('\n') + '\n',
      )
      return file
    }

    it('a per-stage retry: {maxAttempts: 3} stops after 3 failed polls with ETL_SOURCE_HTTP', async () => {
      fake = await startFakeCoinGecko({auto: true})
      fake.enqueue({status: 500}, {status: 502}, {status: 503}, {status: 500})
      const file = coingeckoPipeline([
        'coins: [bitcoin]',
        'retry: {maxAttempts: 3, initialDelay: 10ms, maxDelay: 50ms}',
      ])
      const result = await runEtl(['run', file], {cwd, env: {...env, COINGECKO_BASE_URL: fake.baseUrl}})
      expect(result.code, result.stderr).to.equal(1)
      expect(result.stderr).to.match(
        new RegExp(
          String.raw`^ETL_PLUGIN_FAILED: source plugin "coingecko" failed in run \(stage source\): ` +
            String.raw`ETL_SOURCE_HTTP: CoinGecko \/simple\/price failed 3 times in a row; ` +
            String.raw`last: HTTP 503 server error$`,
          'm',
        ),
      )
      expect(fake.requests.filter((r) => r.path === '/simple/price')).to.have.length(3)
      expect(result.stderr).to.not.match(STACK_LINE)
    })

    const unknownCoinTitle =
      'an unknown coin (HTTP 404) stops the run at once, although sources retry without limit by default'
    it(unknownCoinTitle, async () => {
      fake = await startFakeCoinGecko({auto: true})
      const file = coingeckoPipeline(['coins: [no-such-coin-xyz]', 'backfill: 1d'])
      const result = await runEtl(['run', file], {cwd, env: {...env, COINGECKO_BASE_URL: fake.baseUrl}})
      expect(result.code, result.stderr).to.equal(1)
      const failure = result.stderr.split('\n').find((line) => line.startsWith('ETL_PLUGIN_FAILED'))
      expect(failure, result.stderr).to.include('source plugin "coingecko"').and.include('ETL_SOURCE_PERMANENT')
      expect(failure).to.include('HTTP 404').and.include('coin not found')
      expect(fake.requests.filter((r) => r.path.startsWith('/coins/no-such-coin-xyz/'))).to.have.length(1)
      expect(result.stderr).to.not.match(/retrying in/)
      expect(result.stderr).to.not.match(STACK_LINE)
    })
  })
})
