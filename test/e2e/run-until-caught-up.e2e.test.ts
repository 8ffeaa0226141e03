/**
 * End to end: `etl run --stage process --until-caught-up` (the built CLI, the real broker) over a topic preloaded the
 * way the source stage writes it: keyed records in Kafka transactions, so every partition ends in a commit marker, and
 * one aborted transaction last, whose records no read_committed consumer sees. The run must exit by itself (0) with
 * every window the watermark closes written exactly once; run again, it finds nothing new and leaves the CSV as it
 * was; after more records arrive, a third run adds exactly the windows they close (with either Kafka client). Two
 * workers started together in one group both exit by themselves, and their files hold every window once between them.
 * (On this machine the first one to join usually processes everything before the second's join completes; the second
 * then gets every partition, caught up, from the committed offsets: the hand-over a worker leaving causes. Partitions
 * split between members are covered by test/runtime/stages/drain-progress.test.ts.)
 */
import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Kafka, logLevel, Partitioners} from 'kafkajs'
import {committedOffsets, createTopic, testBrokers, uniqueName} from '../support/kafka-test-utils.js'
import {buildCli, runEtl, spawnEtl, type CliResult, type RunningEtl} from '../support/run-cli.js'
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
const DATA = join(import.meta.dirname, '../../data/btcusd-1d-2011-2025.csv')
const RUN_TIMEOUT_MS = 90_000

/** Writes each batch in a Kafka transaction of its own (as the source stage does), committed or aborted. */
async function produceInTransactions(topic: string, batches: Tick[][], end: 'commit' | 'abort' = 'commit') {
  const kafka = new Kafka({clientId: 'etl-test-preload', brokers: testBrokers(), logLevel: logLevel.NOTHING})
  const producer = kafka.producer({
    transactionalId: uniqueName('etl-test-preload'),
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  await producer.connect()
  try {
    for (const batch of batches) {
      const transaction = await producer.transaction()
      await transaction.send({topic, messages: asMessages(batch)})
      await (end === 'commit' ? transaction.commit() : transaction.abort())
    }
  } finally {
    await producer.disconnect()
  }
}

/** A transaction with `batch` sent and not ended yet; commit() ends it. */
async function openTransaction(topic: string, batch: Tick[]) {
  const kafka = new Kafka({clientId: 'etl-test-open', brokers: testBrokers(), logLevel: logLevel.NOTHING})
  const producer = kafka.producer({
    transactionalId: uniqueName('etl-test-open'),
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  await producer.connect()
  const transaction = await producer.transaction()
  await transaction.send({topic, messages: asMessages(batch)})
  return {
    commit: () => transaction.commit(),
    close: async () => {
      if (transaction.isActive()) await transaction.abort().catch(() => undefined)
      await producer.disconnect()
    },
  }
}

/** The topic's end offset per partition. */
async function endOffsets(topic: string): Promise<Map<number, number>> {
  const admin = new Kafka({clientId: 'etl-test', brokers: testBrokers(), logLevel: logLevel.NOTHING}).admin()
  await admin.connect()
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]))
  } finally {
    await admin.disconnect()
  }
}

/** The topic's end offsets and the group's committed offsets, per partition. */
async function endsAndCommits(topic: string, group: string) {
  return {end: await endOffsets(topic), committed: await committedOffsets(group, topic)}
}

/** Fails (and kills the run) when it does not exit by itself in time: a hang is what this test is about. */
async function exitsByItself(run: RunningEtl, what: string): Promise<{code: number | null; stderr: string}> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.child.kill('SIGKILL')
      reject(new Error(`${what} did not exit by itself within ${RUN_TIMEOUT_MS} ms\n${run.output.stderr}`))
    }, RUN_TIMEOUT_MS)
  })
  const {code} = await Promise.race([run.exited, timeout]).finally(() => clearTimeout(timer))
  return {code, stderr: run.output.stderr}
}

describe('etl run --until-caught-up (end to end, real Kafka)', function () {
  this.timeout(300_000)
  let cwd: string
  let topic: string
  let group: string
  let file: string
  /** The pipeline's kafka.client. */
  let client: 'kafkajs' | 'platformatic' = 'kafkajs'
  const running: RunningEtl[] = []

  before(buildCli)

  beforeEach(async () => {
    client = 'kafkajs'
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-caught-up-'))
    topic = uniqueName('etl-e2e-caught-up')
    group = uniqueName('etl-e2e-caught-up-group')
    file = join(cwd, 'hourly.yaml')
    const kafka = ['  client: ${CLIENT}']
    writeFileSync(file, hourlyPipeline({topic, group, partitions: PARTITIONS, out: '${OUT}', kafka}))
    await createTopic(topic, PARTITIONS)
  })

  afterEach(async () => {
    for (const run of running.splice(0)) {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL')
      await run.exited.catch(() => undefined)
    }
    await rm(cwd, {recursive: true, force: true})
  })

  function start(name: string): RunningEtl {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NO_COLOR: '1',
      OUT: join(cwd, `${name}.csv`),
      ETL_STATE_DIR: join(cwd, `state-${name}`),
      CLIENT: client,
    }
    delete env.ETL_LOG_LEVEL
    const args = ['run', file, '--stage', 'process', '--until-caught-up', '--brokers', process.env.KAFKA_BROKERS!]
    const run = spawnEtl(args, {cwd, env})
    running.push(run)
    return run
  }

  async function catchUp(name: string): Promise<{code: number | null; stderr: string}> {
    return exitsByItself(start(name), `etl run --until-caught-up (${name})`)
  }

  const expectCaughtUp = async () => {
    const {end, committed} = await endsAndCommits(topic, group)
    for (const [partition, offset] of end) {
      const at = Math.max(committed.get(partition) ?? -1, 0) // an empty partition has no commit
      expect(at, `partition ${partition} committed to its end`).to.equal(offset)
    }
  }

  for (const kafkaClient of ['kafkajs', 'platformatic'] as const)
    it(`catches up and exits 0; a rerun finds nothing new; more records add theirs (${kafkaClient})`, async () => {
      client = kafkaClient
      const names = symbols(12)
      const committedTicks = ticks(names, BASE, BASE + 5 * HOUR, 5 * 60_000)
      // Three transactions, then one that aborts: 100 h ahead, it would close every open window if it were seen.
      const third = committedTicks.length / 3
      await produceInTransactions(
        topic,
        [0, 1, 2].map((i) => committedTicks.slice(i * third, (i + 1) * third)),
      )
      await produceInTransactions(topic, [ticks(names, BASE + 100 * HOUR, BASE + 101 * HOUR, 5 * 60_000)], 'abort')

      const first = await catchUp('out')
      expect(first.code, first.stderr).to.equal(0)
      expect(first.stderr).to.match(/until caught up: processing .* up to its end offsets/)
      expect(first.stderr).to.match(/process consumed\s+720\b/)
      expect(first.stderr).to.not.match(/ETL_/)
      const csv = join(cwd, 'out.csv')
      expectExactlyOnce(readWindowRows(csv), expectedWindows(committedTicks))
      expect(readWindowRows(csv).length, 'hours 0–3 of each symbol are closed; hour 4 stays open').to.equal(4 * 12)
      await expectCaughtUp()

      const written = readFileSync(csv, 'utf8')
      const again = await catchUp('out')
      expect(again.code, again.stderr).to.equal(0)
      expect(again.stderr).to.include(`until caught up: nothing new on ${topic}`)
      expect(again.stderr).to.not.match(/process consumed/)
      expect(readFileSync(csv, 'utf8'), 'the CSV is unchanged').to.equal(written)

      // Two more hours: hour 4 (open until now, its state in the state topic) and hour 5 close; hour 6 stays open.
      const more = ticks(names, BASE + 5 * HOUR, BASE + 6 * HOUR + 30 * 60_000, 5 * 60_000)
      await produceInTransactions(topic, [more])
      const afterMore = await catchUp('out')
      expect(afterMore.code, afterMore.stderr).to.equal(0)
      expect(afterMore.stderr).to.match(new RegExp(`process consumed\\s+${more.length}\\b`))
      expectExactlyOnce(readWindowRows(csv), expectedWindows([...committedTicks, ...more]))
      await expectCaughtUp()
    })

  it('exits 0 at once on an empty topic and writes nothing', async () => {
    const run = await catchUp('empty')
    expect(run.code, run.stderr).to.equal(0)
    expect(run.stderr).to.include(`until caught up: nothing new on ${topic}`)
    expect(readWindowRows(join(cwd, 'empty.csv'))).to.deep.equal([])
  })

  it('two workers in one group each stop by themselves; every window is written once between them', async () => {
    const names = symbols(24)
    const all = ticks(names, BASE, BASE + 8 * HOUR, 2 * 60_000)
    const chunk = Math.ceil(all.length / 6)
    await produceInTransactions(
      topic,
      Array.from({length: 6}, (_, i) => all.slice(i * chunk, (i + 1) * chunk)),
    )
    const workers = [start('a'), start('b')]
    const [a, b] = await Promise.all(workers.map((run, i) => exitsByItself(run, `worker ${'ab'[i]}`)))
    const logs = `${a.stderr}\n-----\n${b.stderr}`
    expect([a.code, b.code], logs).to.deep.equal([0, 0])
    const rows = [...readWindowRows(join(cwd, 'a.csv')), ...readWindowRows(join(cwd, 'b.csv'))]
    expectExactlyOnce(rows, expectedWindows(all))
    await expectCaughtUp()
    const consumed = [a, b].reduce((sum, run) => sum + Number(/process consumed\s+(\d+)/.exec(run.stderr)?.[1] ?? 0), 0)
    expect(consumed, 'every committed record consumed once between the two').to.equal(all.length)
    for (const run of [a, b]) expect(run.stderr).to.not.match(/ETL_|skipped_already_processed/)
  })

  it('does not wait for a transaction still open at its start; the next run takes it once committed', async () => {
    const names = symbols(6)
    const preloaded = ticks(names, BASE, BASE + 4 * HOUR, 5 * 60_000)
    await produceInTransactions(topic, [preloaded])
    // As a source that is still writing leaves it: the end offsets a read_committed consumer sees stop before it.
    const late = ticks(['S00'], BASE + 4 * HOUR, BASE + 6 * HOUR, 5 * 60_000)
    const open = await openTransaction(topic, late)
    try {
      const first = await catchUp('out')
      expect(first.code, first.stderr).to.equal(0)
      expect(first.stderr).to.match(new RegExp(`process consumed\\s+${preloaded.length}\\b`))
      const csv = join(cwd, 'out.csv')
      expectExactlyOnce(readWindowRows(csv), expectedWindows(preloaded))
      await open.commit()
      const second = await catchUp('out')
      expect(second.code, second.stderr).to.equal(0)
      expect(second.stderr).to.match(new RegExp(`process consumed\\s+${late.length}\\b`))
      expectExactlyOnce(readWindowRows(csv), expectedWindows([...preloaded, ...late]))
      await expectCaughtUp()
    } finally {
      await open.close()
    }
  })

  it('with both stages and a finite source, ends as a finite run does: once its records are processed', async () => {
    const finite = join(cwd, 'finite.yaml')
    writeFileSync(
      finite,
      [
        'name: finite',
        'kafka:',
        `  topic: ${topic}`,
        `  groupId: ${group}`,
        'source:',
        '  type: replay',
        `  path: ${DATA}`,
        '  limit: 100',
        'sinks:',
        '  - type: csv',
        '    path: ${OUT}',
      ].join('\n'),
    )
    const env = {...process.env, NO_COLOR: '1', OUT: join(cwd, 'finite.csv'), ETL_STATE_DIR: join(cwd, 'state')}
    const result = await runEtl(['run', finite, '--until-caught-up', '--brokers', process.env.KAFKA_BROKERS!], {
      cwd,
      env,
    })
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stderr).to.match(/source replay produced\s+100\b/)
    expect(result.stderr).to.match(/process consumed\s+100\b/)
    expect(readFileSync(join(cwd, 'finite.csv'), 'utf8').trim().split('\n')).to.have.length(101) // header + rows
    await expectCaughtUp()
  })

  it('refuses --until-caught-up with a source that runs until stopped (exit 2, no stack trace)', async () => {
    const endless = join(cwd, 'endless.yaml')
    writeFileSync(
      endless,
      [
        'name: endless',
        'kafka:',
        `  topic: ${topic}`,
        'source:',
        '  type: replay',
        `  path: ${DATA}`,
        '  loop: 0',
        'sinks:',
        '  - type: stdout',
      ].join('\n'),
    )
    const result: CliResult = await runEtl(
      ['run', endless, '--until-caught-up', '--brokers', process.env.KAFKA_BROKERS!],
      {cwd},
    )
    expect(result.code, result.stderr).to.equal(2)
    expect(result.stderr).to.include('needs a source that ends by itself')
    expect(result.stderr).to.include('--stage process --until-caught-up')
    expect(result.stderr).to.not.match(/\n\s+at /)
  })
})
