/**
 * End to end: `etl run --stage source` of a paced replay is killed with SIGKILL (no clean stop at all) twice in the
 * middle of the file, then run to its end. The records and the source's checkpoint go into Kafka in one transaction,
 * so the topic, read as any read_committed consumer reads it, holds every row of the file exactly once, in order.
 */
import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {partitionSizes, readTopic, testBrokers, uniqueName} from '../support/kafka-test-utils.js'
import {buildCli, REPO, runEtl, spawnEtl} from '../support/run-cli.js'

const HISTORY = join(REPO, 'data', 'btcusd-5m-2011.csv')
const ROWS = 1500

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function topicSize(topic: string): Promise<number> {
  return [...(await partitionSizes(topic).catch(() => new Map<number, number>())).values()].reduce(
    (sum, n) => sum + n,
    0,
  )
}

describe('etl run --stage source killed with SIGKILL and restarted (end to end, real Kafka)', function () {
  this.timeout(240_000)
  let cwd: string

  before(() => buildCli())
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-restart-'))
  })
  afterEach(() => rm(cwd, {recursive: true, force: true}))

  it('puts every row of the file on the topic exactly once, in order', async () => {
    const topic = uniqueName('restart_prices')
    const pipeline = join(cwd, 'restart.yaml')
    writeFileSync(
      pipeline,
      [
        `name: ${uniqueName('restart')}`,
        'kafka:',
        `  topic: ${topic}`,
        '  partitions: 1',
        'source:',
        '  type: replay',
        `  path: ${HISTORY}`,
        '  speed: 30000', // 100 rows a second
        `  limit: ${ROWS}`,
        '  batchSize: 20',
        'sinks: [{type: stdout}]',
      ].join('\n'),
    )
    const env = {...process.env, NO_COLOR: '1', ETL_STATE_DIR: join(cwd, '.etl')}
    const args = ['run', pipeline, '--stage', 'source', '--brokers', testBrokers().join(','), '--no-local-broker']
    for (const killAt of [300, 800]) {
      const cli = spawnEtl(args, {cwd, env})
      const deadline = Date.now() + 90_000
      while ((await topicSize(topic)) < killAt) {
        if (cli.child.exitCode !== null)
          throw new Error(`etl exited early (${cli.child.exitCode})\n${cli.output.stderr}`)
        if (Date.now() > deadline) throw new Error(`the topic never reached ${killAt} offsets\n${cli.output.stderr}`)
        await sleep(50)
      }
      cli.child.kill('SIGKILL')
      await cli.exited
    }
    const last = await runEtl(args, {cwd, env})
    expect(last.code, last.stderr).to.equal(0)
    expect(last.stderr).to.include('resuming the replay after line')

    const [, ...lines] = readFileSync(HISTORY, 'utf8').trim().split('\n')
    const expected = lines.slice(0, ROWS).map((line) => {
      const cells = line.split(',') // timestamp,open,close,volume,unix_timestamp,high,low
      return `${new Date(Number(cells[4]) * 1000).toISOString()} ${Number(cells[2])}`
    })
    // readTopic waits for ROWS records; a duplicate would make it stop early with one row missing at the end, and a
    // row lost would show as a gap — the comparison below catches both.
    const read = await readTopic(topic, ROWS, 60_000)
    await sleep(1000)
    const records = read
      .sort((a, b) => Number(a.offset) - Number(b.offset))
      .map((m) => JSON.parse(m.value) as {timestamp: string; price_usd: number})
    expect(records.map((r) => `${r.timestamp} ${r.price_usd}`)).to.deep.equal(expected)
    // Aborted transactions of the killed runs take offsets too: the topic is longer than its visible records.
    expect(await topicSize(topic)).to.be.greaterThan(ROWS)
  })
})
