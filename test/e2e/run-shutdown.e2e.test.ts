/**
 * End to end: stopping `etl run` with signals, as a user or a service manager does, with the built CLI and the real
 * broker. SIGTERM during a paced replay stops cleanly (exit 0, the CSV holds exactly what was committed) and a restart
 * finishes the job; a stop stuck on a sink ends after the grace period with ETL_SHUTDOWN_TIMEOUT; a second Ctrl-C
 * forces the exit.
 */
import {expect} from 'chai'
import {parse} from 'csv-parse/sync'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {createCliWorkspace} from '../support/cli-workspace.js'
import {committedTotal, partitionSizes, readTopic} from '../support/kafka-test-utils.js'
import {buildCli, runEtl, spawnEtl, type RunningEtl} from '../support/run-cli.js'

const repo = resolve(import.meta.dirname, '../..')
const HISTORY = join(repo, 'data', 'btcusd-1d-2011-2025.csv')
const SINKS = join(repo, 'test', 'fixtures', 'plugins', 'unreliable-sinks.mjs')
const STACK_LINE = /^\s+at /m
const ROWS = 200

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(what: string, done: () => boolean, run: RunningEtl, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (run.child.exitCode !== null)
      throw new Error(`etl exited (${run.child.exitCode}) before ${what}:\n${run.output.stderr}`)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${run.output.stderr}`)
    await pause(50)
  }
}

/**
 * Checks that the group's committed offset (one partition) sits right after the topic's first `count` records: they
 * are committed, the next one is not. Offsets are compared, not counted, because transaction markers take offsets too.
 */
async function expectCommittedAfter(group: string, topic: string, count: number): Promise<void> {
  const committed = await committedTotal(group, topic)
  const first = await readTopic(topic, count)
  expect(committed, `committed offset after record ${count}`).to.be.above(Number(first[count - 1].offset))
  const withNext = await readTopic(topic, count + 1, 10_000).catch(() => undefined)
  if (withNext) expect(committed, `record ${count + 1} is not committed`).to.be.at.most(Number(withNext[count].offset))
}

/** The first `count` rows of the history as the CSV sink writes them: timestamp, symbol, price_usd. */
function expectedRows(count: number): string[][] {
  const rows = parse(readFileSync(HISTORY, 'utf8'), {columns: true}) as Record<string, string>[]
  return rows
    .slice(0, count)
    .map((row) => [new Date(Number(row.unix_timestamp) * 1000).toISOString(), 'BTC', String(Number(row.close))])
}

describe('etl run: stopping with signals (end to end, real Kafka)', function () {
  this.timeout(180_000)
  let cwd: string
  let env: NodeJS.ProcessEnv
  let topic: string
  let group: string
  let running: RunningEtl | undefined

  before(() => buildCli())

  beforeEach(async () => {
    ;({cwd, env, topic, group} = await createCliWorkspace('shutdown', HISTORY, ROWS))
  })

  afterEach(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL')
      await running.exited
    }
    running = undefined
    await rm(cwd, {recursive: true, force: true})
  })

  function pipeline(lines: string[]): string {
    const file = join(cwd, 'pipeline.yaml')
    const head = [
      'name: shutdown-e2e',
      `plugins: [${SINKS}]`,
      'kafka:',
      `  topic: ${topic}`,
      `  groupId: ${group}`,
      '  partitions: 1',
    ]
    writeFileSync(file, [...head, ...lines].join('\n') + '\n')
    return file
  }

  const replay = (speed: number) => ['source:', '  type: replay', '  path: rows.csv', `  speed: ${speed}`]

  const sigtermTitle =
    'SIGTERM during a paced replay: exit 0, the CSV holds exactly the committed rows; a restart finishes the replay'
  it(sigtermTitle, async () => {
    // 20 days of history per second: about 10 s for the whole file, so the signal lands mid-way.
    const file = pipeline([
      ...replay(86_400 * 20),
      'sinks:',
      '  - type: csv',
      '    path: out.csv',
      '    columns: [timestamp, symbol, price_usd]',
    ])
    const csv = join(cwd, 'out.csv')
    const dataRows = () => (existsSync(csv) ? readFileSync(csv, 'utf8').split('\n').length - 2 : 0)
    running = spawnEtl(['run', file], {cwd, env})
    await until('30 rows in the CSV', () => dataRows() >= 30, running)
    running.child.kill('SIGTERM')
    const exit = await running.exited
    expect(exit, running.output.stderr).to.deep.equal({code: 0, signal: null})
    expect(running.output.stderr)
      .to.match(/SIGTERM: stopping/)
      .and.match(/^summary:$/m)
    expect(running.output.stderr).to.not.match(STACK_LINE)

    const text = readFileSync(csv, 'utf8')
    expect(text.endsWith('\n'), 'no partial last row').to.equal(true)
    const [header, ...rows] = parse(text, {relax_column_count: true}) as string[][]
    expect(header).to.deep.equal(['timestamp', 'symbol', 'price_usd'])
    expect(rows.length, 'stopped before the end of the replay').to.be.below(ROWS)
    expect(rows, 'every row once, in order, none missing').to.deep.equal(expectedRows(rows.length))
    // Offsets are committed only after the sink flushed, and a clean stop flushes what it consumed: they match.
    await expectCommittedAfter(group, topic, rows.length)

    // The restart continues from the committed offsets (and the source from its checkpoint) to the end of the file.
    running = undefined
    const restart = await runEtl(['run', file], {cwd, env})
    expect(restart.code, restart.stderr).to.equal(0)
    const [, ...all] = parse(readFileSync(csv, 'utf8')) as string[][]
    expect(all, 'the final CSV is the whole replay, each row once').to.deep.equal(expectedRows(ROWS))
    const end = [...(await partitionSizes(topic)).values()].reduce((sum, size) => sum + size, 0)
    expect(await committedTotal(group, topic)).to.equal(end)
  })

  const graceTitle =
    'a stop stuck on a sink flush ends after --grace with ETL_SHUTDOWN_TIMEOUT naming the sink, exit 1, no stack'
  it(graceTitle, async () => {
    const file = pipeline([...replay(0), 'shutdown: {grace: 1h}', 'sinks:', '  - type: hanging'])
    running = spawnEtl(['run', file, '--grace', '2s'], {cwd, env})
    await until('the hanging flush', () => running!.output.stderr.includes('it will never finish'), running)
    running.child.kill('SIGTERM')
    const exit = await running.exited
    expect(exit, running.output.stderr).to.deep.equal({code: 1, signal: null})
    const {stderr} = running.output
    expect(stderr).to.match(/SIGTERM: stopping — flushing sinks and committing offsets, for at most 2s/)
    expect(stderr).to.match(
      new RegExp(
        String.raw`^ETL_SHUTDOWN_TIMEOUT: the pipeline did not stop within the 2s grace period; ` +
          String.raw`still pending: sink hanging: flush\.`,
        'm',
      ),
    )
    expect(stderr).to.include('a restart processes them again')
    expect(stderr).to.not.match(STACK_LINE)
    expect(stderr).to.not.match(/^summary:/m)
    expect(await committedTotal(group, topic)).to.equal(0)
  })

  const secondSignalTitle =
    'a second Ctrl-C, a moment after the first, forces the exit (130) without waiting for the grace period'
  it(secondSignalTitle, async () => {
    const file = pipeline([...replay(0), 'sinks:', '  - type: hanging'])
    running = spawnEtl(['run', file], {cwd, env})
    await until('the hanging flush', () => running!.output.stderr.includes('it will never finish'), running)
    running.child.kill('SIGINT')
    await until('the first stop request', () => running!.output.stderr.includes('SIGINT: stopping'), running)
    await pause(1500) // a second signal at once is the terminal's echo of the first; this one is on purpose
    running.child.kill('SIGINT')
    const exit = await running.exited
    expect(exit, running.output.stderr).to.deep.equal({code: 130, signal: null})
    expect(running.output.stderr).to.include('SIGINT again: exiting now without waiting for a clean stop')
    expect(running.output.stderr).to.not.include('ETL_SHUTDOWN_TIMEOUT')
  })

  it('--grace must be a duration: ETL_CONFIG_INVALID, exit 2, before anything connects', async () => {
    const file = pipeline([...replay(0), 'sinks:', '  - type: hanging'])
    const result = await runEtl(['run', file, '--grace', 'a while'], {cwd, env})
    expect(result.code, result.stderr).to.equal(2)
    // Like every config problem (ETL_CONFIG_INVALID), shown without the code in front.
    expect(result.stderr).to.match(/^--grace a while: invalid duration "a while": use a number of seconds/m)
    expect(result.stderr).to.not.match(STACK_LINE)
  })
})
