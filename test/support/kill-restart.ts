/**
 * What the kill -9 tests of exactly-once sinks share: the rows a replay of the history file must give (computed from
 * the file alone, without etl code), a multiset comparison, and a harness that starts the built CLI, kills it at
 * seeded random moments and runs it to the end. Each sink's test only says how its destination is configured and
 * read back.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse} from 'csv-parse/sync'
import {expect} from 'chai'
import {committedOffsets, partitionSizes, testBrokers} from './kafka-test-utils.js'
import {REPO, spawnEtl, type RunningEtl} from './run-cli.js'

export const HISTORY = join(REPO, 'data', 'btcusd-5m-2011.csv')
/** The columns the kill tests' pipelines write, in order. */
export const REPLAY_COLUMNS = ['symbol', 'timestamp', 'price_usd', 'volume', 'usd_x3']
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The rows the pipeline must write for `symbol`, as comma-joined text in REPLAY_COLUMNS order, derived from the
 * history file without any etl code: the replay's first `limit` rows, filtered and mapped as replayPipeline does.
 */
export function expectedRows(symbol: string, limit: number): string[] {
  const history = parse(readFileSync(HISTORY, 'utf8'), {columns: true, skip_empty_lines: true}) as Record<
    string,
    string
  >[]
  const rows: string[] = []
  for (const row of history.slice(0, limit)) {
    const close = Number(row.close)
    if (!((close * 100) % 3 !== 0)) continue // filter: price_usd * 100 % 3 != 0 (keeps about 3 rows in 4)
    const timestamp = new Date(Number(row.unix_timestamp) * 1000).toISOString()
    rows.push([symbol, timestamp, String(close), String(Number(row.volume)), String(close * 3)].join(','))
  }
  return rows
}

export interface RowComparison {
  lost: number
  duplicated: number
  unexpected: number
  sample: string[]
}

/** Lost and duplicated rows of `actual` against `expected`, compared as multisets. */
export function compareRows(actual: string[], expected: string[]): RowComparison {
  const want = new Map<string, number>()
  for (const row of expected) want.set(row, (want.get(row) ?? 0) + 1)
  const got = new Map<string, number>()
  for (const row of actual) got.set(row, (got.get(row) ?? 0) + 1)
  const result: RowComparison = {lost: 0, duplicated: 0, unexpected: 0, sample: []}
  for (const [row, n] of want) {
    const m = got.get(row) ?? 0
    if (m < n) result.lost += n - m
    if (m > n) result.duplicated += m - n
    if (m !== n && result.sample.length < 5) result.sample.push(`${row} ×${m} (want ${n})`)
  }
  for (const [row, m] of got) {
    if (want.has(row)) continue
    result.unexpected += m
    if (result.sample.length < 10) result.sample.push(`${row} ×${m} (not expected)`)
  }
  return result
}

export interface ReplayPipeline {
  name: string
  topic: string
  group: string
  symbol: string
  limit: number
  speed: number
  /** The sink entries, as YAML lines under `sinks:` (each starting with `  - type: …`). */
  sinks: string[]
}

/** A replay → filter → map pipeline file in `dir` whose outputs are the expectedRows of its symbol. */
export function writeReplayPipeline(dir: string, settings: ReplayPipeline): string {
  const file = join(dir, `${settings.name}.yaml`)
  const lines = [
    `name: ${settings.name}`,
    'kafka:',
    `  topic: ${settings.topic}`,
    `  groupId: ${settings.group}`,
    '  partitions: 3',
    'source:',
    '  type: replay',
    `  path: ${HISTORY}`,
    `  symbol: ${settings.symbol}`,
    `  limit: ${settings.limit}`,
    `  speed: ${settings.speed}`,
    '  batchSize: 100',
    'transforms:',
    '  - type: filter',
    '    where: price_usd * 100 % 3 != 0',
    '  - type: map',
    '    compute:',
    '      usd_x3: price_usd * 3',
    'sinks:',
    ...settings.sinks,
  ]
  writeFileSync(file, lines.join('\n'))
  return file
}

const ASSIGNED = /assigned partition\(s\) \d/

/** Starts the built CLI in `cwd` against the test broker, kills it at will, and never leaves a process behind. */
export class KillHarness {
  private readonly running: RunningEtl[] = []

  constructor(
    readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv = {},
  ) {}

  start(args: string[]): RunningEtl {
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ETL_STATE_DIR: join(this.cwd, 'state'), ...this.env}
    delete env.ETL_LOG_LEVEL
    const etl = spawnEtl([...args, '--brokers', testBrokers().join(',')], {cwd: this.cwd, env})
    this.running.push(etl)
    return etl
  }

  /** Kills whatever still runs. */
  async stopAll(): Promise<void> {
    for (const etl of this.running.splice(0)) {
      if (etl.child.exitCode === null && etl.child.signalCode === null) etl.child.kill('SIGKILL')
      await etl.exited.catch(() => undefined)
    }
  }

  /** One round: start, let it work for a random while once it owns partitions, then SIGKILL. Returns its log. */
  async killRound(args: string[], random: () => number, round: number): Promise<string> {
    const etl = this.start(args)
    // Kill while it works: once it owns partitions (after the dead member's session expired), 0.1–2.5 s later.
    await waitFor(`round ${round} to be assigned partitions`, 120_000, () => ASSIGNED.test(etl.output.stderr), [etl])
    const delay = 100 + Math.floor(random() * 2400)
    await sleep(delay)
    etl.child.kill('SIGKILL')
    const exit = await etl.exited
    expect(exit.signal, etl.output.stderr).to.equal('SIGKILL')
    console.log(`      round ${round}: killed ${delay} ms after assignment`)
    return etl.output.stderr
  }

  /** Runs `args` (a process stage) until the group committed the whole topic, then stops it cleanly. */
  async runUntilCommitted(args: string[], topic: string, group: string): Promise<string> {
    const last = this.start(args)
    await waitFor('the last run to be assigned partitions', 120_000, () => ASSIGNED.test(last.output.stderr), [last])
    await waitFor('the last run to commit everything', 240_000, () => allCommitted(topic, group), [last])
    last.child.kill('SIGINT')
    const exit = await last.exited
    expect(exit, last.output.stderr).to.deep.equal({code: 0, signal: null})
    return last.output.stderr
  }
}

/** True once the group's committed offset reached the end of every partition of the topic that holds records. */
export async function allCommitted(topic: string, group: string): Promise<boolean> {
  try {
    const [sizes, committed] = await Promise.all([partitionSizes(topic), committedOffsets(group, topic)])
    // Offsets count transaction markers too, so "end" is the high watermark: read it as start 0 + size.
    return [...sizes].every(([partition, size]) => size === 0 || (committed.get(partition) ?? -1) >= size)
  } catch {
    return false
  }
}

/** Polls `check` every 100 ms; fails early when one of `running` exits, and with everyone's log on a time-out. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => boolean | Promise<boolean>,
  running: RunningEtl[] = [],
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const logs = () => running.map((etl) => etl.output.stderr).join('\n-----\n')
  while (!(await check())) {
    const exited = running.find((etl) => etl.child.exitCode !== null)
    if (exited) throw new Error(`etl exited (${exited.child.exitCode}) while waiting for ${what}\n${logs()}`)
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${logs()}`)
    await sleep(100)
  }
}

/** Asserts the rows equal the expected multiset and keep each symbol's order, and logs how the kills landed. */
export function expectExactly(actual: string[], expected: string[], seed: number, orderOf: string[] = []): void {
  const {lost, duplicated, unexpected, sample} = compareRows(actual, expected)
  expect(
    {lost, duplicated, unexpected},
    `seed ${seed} (ETL_KILL_SEED=${seed} replays it): ${sample.join('; ')}`,
  ).to.deep.equal({lost: 0, duplicated: 0, unexpected: 0})
  for (const symbol of orderOf) {
    const prefix = `${symbol},`
    expect(
      actual.filter((r) => r.startsWith(prefix)),
      `order of ${symbol}`,
    ).to.deep.equal(expected.filter((r) => r.startsWith(prefix)))
  }
}

/** How often restarts skipped outputs a sink already held (not asserted: where a random kill lands is chance). */
export function skippedOnRestart(logs: string): {times: number; rows: number} {
  const skips = [...logs.matchAll(/skipping (\d+) record\(s\) already written before the restart/g)]
  return {times: skips.length, rows: skips.reduce((sum, m) => sum + Number(m[1]), 0)}
}
