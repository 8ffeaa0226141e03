/**
 * End to end: `source: {worker: true}` (or `auto`, the default, for a replay at speed 0) runs the source stage in a
 * worker thread of `etl run`, with the built CLI and the real broker. The run must behave as without it: the same
 * rows, each once; the source's counts in the summary; a second run of a finished replay adds nothing (its checkpoint
 * is committed with its records); SIGTERM stops cleanly and a restart completes the CSV; a source failing inside the
 * thread ends the run with the same error and exit code.
 */
import {expect} from 'chai'
import {parse} from 'csv-parse/sync'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {createCliWorkspace} from '../../support/cli-workspace.js'
import {committedTotal, partitionSizes, readTopic} from '../../support/kafka-test-utils.js'
import {buildCli, runEtl, spawnEtl, type RunningEtl} from '../../support/run-cli.js'

const repo = resolve(import.meta.dirname, '../../..')
const HISTORY = join(repo, 'data', 'btcusd-1d-2011-2025.csv')
const CRASHING = join(repo, 'test', 'fixtures', 'plugins', 'crashing-source.mjs')
const STACK_LINE = /^\s+at /m
const ROWS = 200
const LIMIT = 150

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

/** The first `count` rows of the history as the CSV sink writes them: timestamp, symbol, price_usd. */
function expectedRows(count: number): string[][] {
  const rows = parse(readFileSync(HISTORY, 'utf8'), {columns: true}) as Record<string, string>[]
  return rows
    .slice(0, count)
    .map((row) => [new Date(Number(row.unix_timestamp) * 1000).toISOString(), 'BTC', String(Number(row.close))])
}

/** The count of one summary row, e.g. "source replay produced"; undefined when the summary has no such row. */
function summaryCount(stderr: string, row: string): number | undefined {
  const match = new RegExp(`^  ${row}\\s+(\\d+)$`, 'm').exec(stderr)
  return match ? Number(match[1]) : undefined
}

/** The error line the CLI ends with: the last line of stderr that starts with an error code. */
function errorLine(stderr: string): string | undefined {
  return stderr
    .split('\n')
    .filter((line) => /^ETL_[A-Z_]+: /.test(line))
    .pop()
}

describe('etl run with source.worker: true (end to end, real Kafka)', function () {
  this.timeout(180_000)
  let cwd: string
  let env: NodeJS.ProcessEnv
  let topic: string
  let group: string
  let running: RunningEtl | undefined

  before(() => buildCli())

  beforeEach(async () => {
    ;({cwd, env, topic, group} = await createCliWorkspace('worker', HISTORY, ROWS))
  })

  afterEach(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL')
      await running.exited
    }
    running = undefined
    await rm(cwd, {recursive: true, force: true})
  })

  function pipeline(name: string, source: string[], type = 'replay'): string {
    const file = join(cwd, `${name}.yaml`)
    const lines = [
      `name: ${name}`,
      `plugins: [${CRASHING}]`,
      'kafka:',
      `  topic: ${topic}`,
      `  groupId: ${group}`,
      '  partitions: 1',
      'source:',
      `  type: ${type}`,
      ...source,
      'sinks:',
      '  - type: csv',
      '    path: out.csv',
      '    columns: [timestamp, symbol, price_usd]',
    ]
    writeFileSync(file, lines.join('\n') + '\n')
    return file
  }

  const csvRows = () => {
    const [header, ...rows] = parse(readFileSync(join(cwd, 'out.csv'), 'utf8'), {
      relax_column_count: true,
    }) as string[][]
    expect(header).to.deep.equal(['timestamp', 'symbol', 'price_usd'])
    return rows
  }

  it('a replay with a limit writes exactly the expected rows, counts them, and a second run adds nothing', async () => {
    const file = pipeline('worker-replay', ['  path: rows.csv', '  speed: 0', `  limit: ${LIMIT}`, '  worker: true'])
    const first = await runEtl(['run', file], {cwd, env})
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stderr).to.not.match(STACK_LINE)
    expect(first.stderr).to.match(/source replay runs in a worker thread \(source\.worker: true\)/)
    // The worker thread's log lines reach the process's stderr in the usual format.
    expect(first.stderr).to.match(/INFO {2}\[etl\] source finished {2}produced=150$/m)
    expect(summaryCount(first.stderr, 'source replay produced'), first.stderr).to.equal(LIMIT)
    expect(summaryCount(first.stderr, 'process consumed'), first.stderr).to.equal(LIMIT)
    expect(csvRows(), 'every row once, in order').to.deep.equal(expectedRows(LIMIT))
    const endAfterFirst = [...(await partitionSizes(topic)).values()].reduce((sum, size) => sum + size, 0)
    expect(await committedTotal(group, topic)).to.equal(endAfterFirst)

    // The replay's checkpoint was committed with its records: the second run resumes at the limit and adds nothing.
    const second = await runEtl(['run', file], {cwd, env})
    expect(second.code, second.stderr).to.equal(0)
    expect(second.stderr).to.match(/resuming replay from its last committed checkpoint/)
    expect(summaryCount(second.stderr, 'source replay produced') ?? 0, second.stderr).to.equal(0)
    expect(csvRows(), 'nothing added by the second run').to.deep.equal(expectedRows(LIMIT))
    const endAfterSecond = [...(await partitionSizes(topic)).values()].reduce((sum, size) => sum + size, 0)
    // A run that produces nothing may still commit an (empty) transaction marker, but never a record.
    expect(endAfterSecond - endAfterFirst).to.be.at.most(1)
  })

  const autoTitle =
    'worker: auto (the default) gives a replay at speed 0 a thread when both stages run here, and nothing else'
  it(autoTitle, async () => {
    const bulk = await runEtl(['run', pipeline('auto-bulk', ['  path: rows.csv', '  speed: 0', `  limit: ${LIMIT}`])], {
      cwd,
      env,
    })
    expect(bulk.code, bulk.stderr).to.equal(0)
    expect(bulk.stderr).to.match(/source replay runs in a worker thread \(source\.worker: auto, and it runs flat out\)/)
    expect(csvRows(), 'every row once, in order').to.deep.equal(expectedRows(LIMIT))
    // The same source with only its stage in this process, a paced replay, and an explicit false: the main thread.
    const sourceOnly = await runEtl(
      ['run', pipeline('auto-source-only', ['  path: rows.csv', '  speed: 0', '  limit: 5']), '--stage', 'source'],
      {cwd, env},
    )
    const paced = await runEtl(
      ['run', pipeline('auto-paced', ['  path: rows.csv', '  speed: 1000000000', '  limit: 5'])],
      {cwd, env},
    )
    const off = await runEtl(
      ['run', pipeline('auto-off', ['  path: rows.csv', '  speed: 0', '  limit: 5', '  worker: false'])],
      {cwd, env},
    )
    for (const run of [sourceOnly, paced, off]) {
      expect(run.code, run.stderr).to.equal(0)
      expect(run.stderr).to.include('source finished').and.not.include('runs in a worker thread')
    }
  })

  it('--stage source alone runs the source in the worker too and produces every record once', async () => {
    const file = pipeline('worker-source-only', [
      '  path: rows.csv',
      '  speed: 0',
      `  limit: ${LIMIT}`,
      '  worker: true',
    ])
    const result = await runEtl(['run', file, '--stage', 'source'], {cwd, env})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stderr).to.include('runs in a worker thread')
    expect(summaryCount(result.stderr, 'source replay produced'), result.stderr).to.equal(LIMIT)
    expect(summaryCount(result.stderr, 'process consumed'), result.stderr).to.equal(undefined)
    const records = (await readTopic(topic, LIMIT)).map((message) => JSON.parse(message.value) as {timestamp: string})
    expect(records.map((record) => record.timestamp)).to.deep.equal(expectedRows(LIMIT).map(([timestamp]) => timestamp))
    expect(await readTopic(topic, LIMIT + 1, 3000).catch(() => 'no more'), 'no record twice').to.equal('no more')
  })

  const sigtermTitle =
    'SIGTERM during a paced replay: exit 0, the CSV holds exactly the committed rows; a restart completes it'
  it(sigtermTitle, async () => {
    // 20 days of history per second: about 10 s for the file, so the signal lands mid-way.
    const file = pipeline('worker-stop', ['  path: rows.csv', `  speed: ${86_400 * 20}`, '  worker: true'])
    const csv = join(cwd, 'out.csv')
    const dataRows = () => (existsSync(csv) ? readFileSync(csv, 'utf8').split('\n').length - 2 : 0)
    running = spawnEtl(['run', file], {cwd, env})
    await until('30 rows in the CSV', () => dataRows() >= 30, running)
    running.child.kill('SIGTERM')
    const exit = await running.exited
    expect(exit, running.output.stderr).to.deep.equal({code: 0, signal: null})
    expect(running.output.stderr)
      .to.match(/SIGTERM: stopping/)
      .and.match(/source stopped/)
      .and.match(/^summary:$/m)
    expect(running.output.stderr).to.not.match(STACK_LINE)

    const text = readFileSync(csv, 'utf8')
    expect(text.endsWith('\n'), 'no partial last row').to.equal(true)
    const rows = csvRows()
    expect(rows.length, 'stopped before the end of the replay').to.be.below(ROWS)
    expect(rows, 'every row once, in order, none missing').to.deep.equal(expectedRows(rows.length))
    // The stop waited for the process stage to reach what the source delivered: all of it is in the CSV.
    expect(summaryCount(running.output.stderr, 'source replay produced'), running.output.stderr).to.equal(rows.length)

    running = undefined
    const restart = await runEtl(['run', file], {cwd, env})
    expect(restart.code, restart.stderr).to.equal(0)
    expect(csvRows(), 'the final CSV is the whole replay, each row once').to.deep.equal(expectedRows(ROWS))
    const end = [...(await partitionSizes(topic)).values()].reduce((sum, size) => sum + size, 0)
    expect(await committedTotal(group, topic)).to.equal(end)
  })

  const createFailureTitle =
    'a source failing at create inside the worker ends the run as it does without the worker: same code, message, exit'
  it(createFailureTitle, async () => {
    // A failure validation cannot see (`etl validate` reports a missing replay file before anything runs).
    const failing = (worker: boolean) => pipeline('worker-create', ['  how: create', `  worker: ${worker}`], 'crashing')
    const inThread = await runEtl(['run', failing(true)], {cwd, env})
    const inline = await runEtl(['run', failing(false)], {cwd, env})
    expect(inline.code, inline.stderr).to.not.equal(0)
    expect(inThread.code, inThread.stderr).to.equal(inline.code)
    const line = errorLine(inline.stderr)
    expect(line, inline.stderr)
      .to.match(/^ETL_PLUGIN_FAILED: source plugin "crashing" failed in create \(stage source\)/)
      .and.include('upstream refused the connection in create')
    expect(errorLine(inThread.stderr), inThread.stderr).to.equal(line)
    expect(inThread.stderr).to.include('runs in a worker thread')
    expect(inline.stderr).to.not.include('runs in a worker thread')
    expect(inThread.stderr).to.not.match(STACK_LINE)
    expect(inThread.stderr).to.not.match(/^summary:/m)
  })

  const crashTitle =
    'a worker thread that crashes (uncaught exception, or it exits) ends the run with ETL_SOURCE_WORKER, ' +
    'exit 1, no hang'
  it(crashTitle, async () => {
    for (const [how, why] of [
      ['throw', /: crashing source: thrown from a timer;/],
      ['exit', / with code 3;/],
    ] as const) {
      const result = await runEtl(
        ['run', pipeline(`worker-crash-${how}`, [`  how: ${how}`, '  worker: true'], 'crashing')],
        {cwd, env},
      )
      expect(result.code, result.stderr).to.equal(1)
      const line = errorLine(result.stderr)
      expect(line, result.stderr).to.match(
        /^ETL_SOURCE_WORKER: the worker thread of source "crashing" \(source\.worker: true\) ended unexpectedly/,
      )
      expect(line).to.match(why)
      expect(result.stderr).to.not.match(STACK_LINE)
    }
  })
})
