/**
 * End to end on a real three-broker cluster (test/support/test-cluster.ts): a replay flows through a 6-partition
 * topic (replicated 3 times by the pipeline's default, min(3, brokers)) into two `etl run --stage process` workers
 * writing one PostgreSQL table. Mid-stream the broker that leads most partitions is SIGKILLed, and restarted later.
 * The table must hold every row of the replay exactly once; both workers must have logged the leader change and
 * neither may have crashed.
 *
 * PostgreSQL, not a CSV file per worker: losing a broker can take the group coordinator with it, the workers' commits
 * then fail until it moves, and the rebalance that follows moves partitions whose last batches were written but not
 * committed. The postgres sink keeps its positions in the table both workers write, so the worker that gets such a
 * partition skips what the other wrote; a CSV file per worker cannot know (docs/GUARANTEES.md, "per file").
 */
import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import pg from 'pg'
import {uniqueName} from '../support/kafka-test-utils.js'
import {compareRows, expectedRows, HISTORY, REPLAY_COLUMNS, sleep, waitFor} from '../support/kill-restart.js'
import {buildCli, spawnEtl, type RunningEtl} from '../support/run-cli.js'
import {TestCluster} from '../support/test-cluster.js'
import {testPostgres} from '../support/test-postgres.js'

const PARTITIONS = 6
const LIMIT = 16_000
/** 5-minute candles at 100 000× real time: ~330 rows a second, so the replay lasts ~50 s and the kill lands in it. */
const SPEED = 100_000

function pipelineFile(dir: string, topic: string, group: string, url: string): string {
  const file = join(dir, 'failover.yaml')
  const lines = [
    'name: failover',
    'kafka:',
    `  topic: ${topic}`,
    `  groupId: ${group}`,
    `  partitions: ${PARTITIONS}`,
    // One symbol: keyed by timestamp instead, so the rows spread over all six partitions (and so over every leader).
    '  key: timestamp',
    'source:',
    '  type: replay',
    `  path: ${HISTORY}`,
    '  symbol: BTC',
    `  limit: ${LIMIT}`,
    `  speed: ${SPEED}`,
    '  batchSize: 100',
    'transforms:',
    '  - type: filter',
    '    where: price_usd * 100 % 3 != 0',
    '  - type: map',
    '    compute:',
    '      usd_x3: price_usd * 3',
    'sinks:',
    '  - type: postgres',
    `    url: ${url}`,
    '    table: ticks',
    '    columns:',
    '      symbol: text',
    '      timestamp: timestamptz',
    '      price_usd: double precision',
    '      volume: double precision',
    '      usd_x3: double precision',
  ]
  writeFileSync(file, lines.join('\n'))
  return file
}

/** The table's rows in REPLAY_COLUMNS order, as the comma-joined text expectedRows gives (none before it exists). */
async function tableRows(url: string): Promise<string[]> {
  const client = new pg.Client({connectionString: url})
  await client.connect()
  try {
    const {rows} = await client.query<Record<string, unknown>>(`SELECT ${REPLAY_COLUMNS.join(', ')} FROM ticks`)
    return rows.map((row) =>
      [row.symbol, (row.timestamp as Date).toISOString(), row.price_usd, row.volume, row.usd_x3].map(String).join(','),
    )
  } catch (error) {
    if ((error as {code?: string}).code === '42P01') return [] // the sink has not created the table yet
    throw error
  } finally {
    await client.end()
  }
}

describe('a three-broker cluster loses the busiest leader mid-stream (end to end, real brokers)', function () {
  this.timeout(400_000)
  let cwd: string
  let cluster: TestCluster | undefined
  const running: RunningEtl[] = []

  let url: string

  before(async () => {
    buildCli()
    url = (await (await testPostgres()).freshDatabase('failover')).url
  })

  afterEach(async () => {
    for (const etl of running.splice(0)) {
      if (etl.child.exitCode === null && etl.child.signalCode === null) etl.child.kill('SIGKILL')
      await etl.exited.catch(() => undefined)
    }
    await cluster?.stop()
    if (cwd) await rm(cwd, {recursive: true, force: true})
  })

  const title =
    'SIGKILL of the broker leading most partitions, restarted later: every row once, the leader change logged'
  it(title, async () => {
    const began = Date.now()
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-failover-'))
    cluster = await TestCluster.start(3)
    console.log(`      cluster of 3 started in ${Math.round((Date.now() - began) / 1000)} s`)
    const c = cluster
    const topic = uniqueName('etl-e2e-failover')
    const group = uniqueName('etl-e2e-failover-group')
    const file = pipelineFile(cwd, topic, group, url)
    const start = (name: string, stage: string) => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        NO_COLOR: '1',
        ETL_STATE_DIR: join(cwd, `state-${name}`),
      }
      delete env.ETL_LOG_LEVEL
      const etl = spawnEtl(['run', file, '--stage', stage, '--brokers', c.brokers.join(',')], {cwd, env})
      running.push(etl)
      return etl
    }
    const assigned = (etl: RunningEtl) => /assigned partition\(s\) \d/.test(etl.output.stderr)
    const rowsSoFar = async () => (await tableRows(url)).length

    const source = start('source', 'source')
    await waitFor('the source to create the topic', 60_000, () => /created topic/.test(source.output.stderr), [source])
    const [a, b] = [start('a', 'process'), start('b', 'process')]
    const workers = [a, b]
    await waitFor('both workers to own partitions', 90_000, () => workers.every(assigned), [...workers, source])
    const replicas = await c.withAdmin((admin) => admin.fetchTopicMetadata({topics: [topic]}))
    expect(
      replicas.topics[0].partitions.map((p) => p.replicas.length),
      'replication factor by default: min(3, brokers)',
    ).to.deep.equal(Array(PARTITIONS).fill(3))

    await waitFor('rows to reach the table', 60_000, async () => (await rowsSoFar()) > 1000, [...workers, source])
    const {nodeId: victim, counts} = await c.busiestLeader(topic)
    const before = await rowsSoFar()
    const coordinator = await c.groupCoordinator(group)
    await c.kill(victim, 'SIGKILL')
    console.log(
      `      SIGKILLed node ${victim} (leader of ${counts.get(victim)} of ${PARTITIONS}, ` +
        `${coordinator === victim ? 'and' : 'not'} the group coordinator) at ${before} rows`,
    )
    const leaderChange = new RegExp(`leader change on ${topic}: partition .*\\b${victim}→\\d`)
    await waitFor(
      'both workers to log the leader change',
      60_000,
      () => workers.every((w) => leaderChange.test(w.output.stderr)),
      [...workers],
    )
    expect(source.child.exitCode, source.output.stderr).to.equal(null) // the replay still runs: the kill was mid-stream
    await sleep(5000) // the replay goes on with two brokers (min.insync.replicas=2) for a while
    await c.restart(victim)
    console.log(`      restarted node ${victim} at ${await rowsSoFar()} rows`)

    const sourceExit = await source.exited
    expect(sourceExit, source.output.stderr).to.deep.equal({code: 0, signal: null})
    const expected = expectedRows('BTC', LIMIT)
    await waitFor(
      'the workers to write every row',
      120_000,
      async () => (await rowsSoFar()) >= expected.length,
      workers,
    )
    await sleep(2000) // anything written twice would arrive now
    for (const worker of workers) worker.child.kill('SIGINT')
    const exits = await Promise.all(workers.map((w) => w.exited))
    const logs = workers.map((w) => w.output.stderr).join('\n-----\n')
    expect(exits, logs).to.deep.equal([
      {code: 0, signal: null},
      {code: 0, signal: null},
    ])

    const rows = await tableRows(url)
    // Keyed by timestamp, every row is a key of its own: there is no per-key order to check, only the multiset.
    const {lost, duplicated, unexpected, sample} = compareRows(rows, expected)
    expect({lost, duplicated, unexpected}, sample.join('; ')).to.deep.equal({lost: 0, duplicated: 0, unexpected: 0})
    for (const worker of workers) {
      expect(worker.output.stderr).to.match(leaderChange)
      expect(worker.output.stderr).to.not.match(/ETL_[A-Z_]+|consumer failed|Unhandled|TypeError/)
    }
    expect(a.output.stderr + b.output.stderr).to.match(new RegExp(`broker ${victim} left the cluster`))
    console.log(`      ${rows.length} rows exactly once; whole test ${Math.round((Date.now() - began) / 1000)} s`)
  })
})
