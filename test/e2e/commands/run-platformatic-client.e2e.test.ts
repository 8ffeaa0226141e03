/**
 * End to end with `kafka.client: platformatic`: the real CLI runs a small replay → Kafka → CSV pipeline through
 * @platformatic/kafka (transactional source, group consumer, state topics) against the real broker. The CSV must hold
 * exactly the expected rows, and a second run of the same file finds the replay's checkpoint and adds nothing.
 */
import {expect} from 'chai'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'csv-parse/sync'
import {committedTotal, partitionSizes, testBrokers, uniqueName} from '../../support/kafka-test-utils.js'
import {buildCli, REPO, runEtl} from '../../support/run-cli.js'

const ROWS = 1200 // more than two transactions of the replay's batchSize (500)
const COLUMNS = ['timestamp', 'symbol', 'price_usd', 'open', 'high', 'low', 'volume']

/** The first ROWS candles of the shipped history, and the CSV rows the pipeline must write for them. */
function inputAndExpected(): {csv: string; rows: string[][]} {
  const [header, ...lines] = readFileSync(join(REPO, 'data', 'btcusd-1d-2011-2025.csv'), 'utf8')
    .trim()
    .split('\n')
  const csv = [header, ...lines.slice(0, ROWS)].join('\n') + '\n'
  const records = parse(csv, {columns: true}) as Record<string, string>[]
  const rows = records.map((r) => [
    new Date(Number(r.unix_timestamp) * 1000).toISOString(),
    'BTC',
    String(Number(r.close)),
    String(Number(r.open)),
    String(Number(r.high)),
    String(Number(r.low)),
    String(Number(r.volume)),
  ])
  return {csv, rows}
}

describe('etl run with kafka.client: platformatic (end to end, real Kafka)', function () {
  this.timeout(240_000)
  let cwd: string

  before(() => buildCli())
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-platformatic-'))
  })
  afterEach(async () => {
    await rm(cwd, {recursive: true, force: true})
  })

  /** Writes history.csv and pipeline.yaml (with this client) into cwd; returns the run's arguments and names. */
  function setUp(client: 'kafkajs' | 'platformatic', name: string) {
    // Written once: the replay's checkpoint names the file's identity, and rewriting it would start the replay anew.
    if (!existsSync(join(cwd, 'history.csv'))) writeFileSync(join(cwd, 'history.csv'), inputAndExpected().csv)
    const topic = `${name}.prices`
    writeFileSync(
      join(cwd, 'pipeline.yaml'),
      [
        `name: ${name}`,
        'kafka:',
        `  topic: ${topic}`,
        '  partitions: 3',
        `  client: ${client}`,
        'source:',
        '  type: replay',
        '  path: history.csv',
        '  speed: 0',
        'sinks:',
        '  - type: csv',
        '    path: out.csv',
        `    columns: [${COLUMNS.join(', ')}]`,
        '',
      ].join('\n'),
    )
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ETL_STATE_DIR: join(cwd, '.etl')}
    delete env.ETL_DEBUG
    delete env.ETL_LOG_LEVEL
    return {topic, env, args: ['run', 'pipeline.yaml', '--brokers', testBrokers().join(',')]}
  }

  it('writes every replayed row once; a second run adds nothing (the checkpoint is exactly-once)', async () => {
    const {rows: expected} = inputAndExpected()
    const name = uniqueName('e2e-platformatic')
    const {topic, env, args} = setUp('platformatic', name)

    const first = await runEtl(args, {cwd, env})
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stderr).to.match(new RegExp(`^\\s+sink csv written\\s+${ROWS}$`, 'm'))
    expect(first.stderr).to.not.match(/^\s+at /m)
    expect(first.stderr, 'no warning from the client').to.not.match(/ WARN /)
    const [header, ...rows] = parse(readFileSync(join(cwd, 'out.csv'), 'utf8')) as string[][]
    expect(header).to.deep.equal(COLUMNS)
    expect(rows).to.deep.equal(expected) // one key (BTC): one partition, in order
    const endAfterFirst = [...(await partitionSizes(topic)).values()].reduce((a, b) => a + b, 0)
    expect(endAfterFirst, 'each record once, plus one marker per transaction').to.be.within(
      ROWS + 1,
      ROWS + Math.ceil(ROWS / 500) + 1,
    )
    expect(await committedTotal(`etl-${name}`, topic), 'committed offsets reach the end of the topic').to.equal(
      endAfterFirst,
    )

    const second = await runEtl(args, {cwd, env})
    expect(second.code, second.stderr).to.equal(0)
    expect(second.stderr).to.include('this replay already ran to its end')
    const [, ...rowsAfterSecond] = parse(readFileSync(join(cwd, 'out.csv'), 'utf8')) as string[][]
    expect(rowsAfterSecond).to.deep.equal(expected)
    const endAfterSecond = [...(await partitionSizes(topic)).values()].reduce((a, b) => a + b, 0)
    expect(endAfterSecond - endAfterFirst, 'no record written by the second run (at most a marker)').to.be.at.most(1)
  })

  it('a pipeline switched from kafkajs to platformatic between runs keeps its checkpoint and offsets', async () => {
    const {rows: expected} = inputAndExpected()
    const name = uniqueName('e2e-switch')
    const before = setUp('kafkajs', name)
    const first = await runEtl(before.args, {cwd, env: before.env})
    expect(first.code, first.stderr).to.equal(0)
    const end = [...(await partitionSizes(before.topic)).values()].reduce((a, b) => a + b, 0)

    const after = setUp('platformatic', name)
    const second = await runEtl(after.args, {cwd, env: after.env})
    expect(second.code, second.stderr).to.equal(0)
    expect(second.stderr).to.include('this replay already ran to its end')
    const [, ...rows] = parse(readFileSync(join(cwd, 'out.csv'), 'utf8')) as string[][]
    expect(rows).to.deep.equal(expected)
    expect([...(await partitionSizes(before.topic)).values()].reduce((a, b) => a + b, 0) - end).to.be.at.most(1)
    expect(await committedTotal(`etl-${name}`, before.topic)).to.be.at.least(end)
  })
})
