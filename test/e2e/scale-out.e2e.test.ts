/**
 * End to end: `etl run --stage process` started twice on one pipeline (the built CLI, two processes, the real broker)
 * shares the topic's partitions through the consumer group. The second worker joins while the first holds open
 * hourly windows of every partition; the partitions that move take their windows' state along (the `<group>.state`
 * topic), so every input record is counted exactly once in the two workers' combined output, and no window is
 * emitted twice or cut short.
 */
import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {
  committedTotal,
  createTopic,
  partitionSizes,
  produceRaw,
  readTopic,
  uniqueName,
} from '../support/kafka-test-utils.js'
import {buildCli, spawnEtl, type RunningEtl} from '../support/run-cli.js'
import {hourlyPipeline} from '../support/hourly-pipeline.js'
import {
  asMessages,
  BASE,
  expectedWindows,
  expectExactlyOnce,
  HOUR,
  readWindowRows,
  symbols,
  ticks,
  type Tick,
} from '../support/window-expectations.js'

const PARTITIONS = 6
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => boolean | Promise<boolean>,
  workers: RunningEtl[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    for (const worker of workers) {
      if (worker.child.exitCode !== null)
        throw new Error(`a worker exited (${worker.child.exitCode}) while waiting for ${what}\n${worker.output.stderr}`)
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}\n${workers.map((w) => w.output.stderr).join('\n-----\n')}`,
      )
    await sleep(200)
  }
}

/** Every assignment a worker logged, in order. */
function assignments(worker: RunningEtl): number[][] {
  return [...worker.output.stderr.matchAll(/assigned partition\(s\) ([\d,]+|none) of /g)].map((m) =>
    m[1] === 'none' ? [] : m[1].split(',').map(Number),
  )
}

describe('etl run --stage process, two workers in one consumer group (end to end, real Kafka)', function () {
  this.timeout(300_000)
  let cwd: string
  const workers: RunningEtl[] = []

  before(buildCli)

  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL')
      await worker.exited.catch(() => undefined)
    }
    if (cwd) await rm(cwd, {recursive: true, force: true})
  })

  const sharedTitle =
    'shares the partitions; partitions that move keep their open windows: every record counted exactly once'
  it(sharedTitle, async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-scale-'))
    const topic = uniqueName('etl-e2e-scale')
    const group = uniqueName('etl-e2e-scale-group')
    const file = join(cwd, 'hourly.yaml')
    writeFileSync(file, hourlyPipeline({topic, group, partitions: PARTITIONS, out: '${OUT}'}))
    await createTopic(topic, PARTITIONS)
    const names = symbols(24)
    // Wave 1 opens the first hour of every symbol; waves 2 and 3 arrive after the rebalance and close hours 0–3; the
    // last wave, 100 h ahead, closes whatever is still open (its own windows stay open, by design).
    const waves: Tick[][] = [
      ticks(names, BASE, BASE + 40 * 60_000, 5 * 60_000),
      ticks(names, BASE + 40 * 60_000, BASE + 2 * HOUR + 20 * 60_000, 5 * 60_000),
      ticks(names, BASE + 2 * HOUR + 20 * 60_000, BASE + 4 * HOUR, 5 * 60_000),
      ticks(names, BASE + 100 * HOUR, BASE + 100 * HOUR + 1, 5 * 60_000),
    ]
    const all = waves.flat()
    const start = (name: string) => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        NO_COLOR: '1',
        OUT: join(cwd, `${name}.csv`),
        ETL_STATE_DIR: join(cwd, `state-${name}`),
      }
      delete env.ETL_LOG_LEVEL
      const worker = spawnEtl(['run', file, '--stage', 'process', '--brokers', process.env.KAFKA_BROKERS!], {cwd, env})
      workers.push(worker)
      return worker
    }
    const committed = () => committedTotal(group, topic).catch(() => -1)

    await produceRaw(topic, asMessages(waves[0]))
    expect(
      [...(await partitionSizes(topic)).values()].filter((n) => n > 0),
      'every partition holds keys',
    ).to.have.length(PARTITIONS)
    const a = start('a')
    await waitFor('worker A to process wave 1', 90_000, async () => (await committed()) === waves[0].length, [a])
    expect(assignments(a)).to.deep.equal([[0, 1, 2, 3, 4, 5]])

    const b = start('b')
    const settled = () => {
      const [ofA, ofB] = [assignments(a).at(-1)!, assignments(b).at(-1) ?? []]
      return (
        ofB.length > 0 && ofA.length > 0 && ofA.every((p) => !ofB.includes(p)) && ofA.length + ofB.length === PARTITIONS
      )
    }
    await waitFor("the rebalance to give B some of A's partitions", 90_000, settled, [a, b])
    const ofA = assignments(a).at(-1)!
    const ofB = assignments(b).at(-1)!

    for (const wave of waves.slice(1)) {
      await produceRaw(topic, asMessages(wave))
      await sleep(500)
    }
    await waitFor('both workers to commit every record', 90_000, async () => (await committed()) === all.length, [a, b])
    for (const worker of [a, b]) worker.child.kill('SIGINT')
    const exits = await Promise.all([a.exited, b.exited])
    expect(exits, `${a.output.stderr}\n-----\n${b.output.stderr}`).to.deep.equal([
      {code: 0, signal: null},
      {code: 0, signal: null},
    ])

    // Exactly once across both outputs: every window once, with every record of it, and the counts add up.
    const rowsA = readWindowRows(join(cwd, 'a.csv'))
    const rowsB = readWindowRows(join(cwd, 'b.csv'))
    expectExactlyOnce([...rowsA, ...rowsB], expectedWindows(all))
    const counted = [...rowsA, ...rowsB].reduce((sum, row) => sum + Number(row.n), 0)
    expect(counted, 'records counted = records in, bar the last wave whose windows stay open').to.equal(
      all.length - waves[3].length,
    )

    // The rebalance really moved partitions with open windows: A released exactly B's partitions, B restored their
    // state from the state topic, and B emitted hour-0 windows whose first records A had processed before B joined.
    expect(a.output.stderr).to.include(
      `released partition(s) ${ofB.join(',')}; their transform state stays in ${group}.state`,
    )
    expect(b.output.stderr.match(/partition \d+: restored transform state from /g)).to.have.length(ofB.length)
    const restoredWindows = [...b.output.stderr.matchAll(/restored (\d+) open window\(s\)/g)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    )
    expect(restoredWindows, 'open windows B took over').to.be.greaterThan(0)
    const partitionOf = new Map((await readTopic(topic, all.length)).map((m) => [m.key!, m.partition]))
    const firstHour = new Date(BASE).toISOString()
    const hourZeroB = rowsB.filter((row) => row.window_start === firstHour)
    expect(hourZeroB.length, 'hour-0 windows finished by B').to.be.greaterThan(0)
    expect(
      hourZeroB.every((row) => Number(row.n) === 12),
      "each with wave 1's 8 records (processed by A) and wave 2's 4",
    ).to.equal(true)
    // Each worker emitted only windows of partitions it owned when they closed: nothing of a partition that moved away.
    expect(
      rowsA.every((row) => ofA.includes(partitionOf.get(row.symbol)!)),
      'A wrote only its partitions',
    ).to.equal(true)
    expect(
      rowsB.every((row) => ofB.includes(partitionOf.get(row.symbol)!)),
      'B wrote only its partitions',
    ).to.equal(true)
    expect(rowsA.length).to.be.greaterThan(0)
    for (const worker of [a, b]) expect(worker.output.stderr).to.not.match(/ETL_|skipped_already_processed/)
  })
})
