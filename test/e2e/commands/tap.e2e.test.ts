/**
 * End to end: `etl tap` against a running `etl run --metrics` (a paced, finite replay → filter → map → two csv sinks,
 * one with a where:). The tap prints the records of the step or sink asked for — step 0 as consumed, step 2 with the
 * map's field, a sink only what its where: routes to it — and is read-only: no consumer group appears on the broker
 * while it reads, the run's group stays the only one on its topic, and when the run ends by itself its committed
 * offsets are the topic's end and each sink holds every record exactly once, as without a tap. Off a terminal the run
 * writes `progress` log lines (every 2 s here).
 */
import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {join} from 'node:path'
import {parse} from 'csv-parse/sync'
import {createCliWorkspace, type CliWorkspace} from '../../support/cli-workspace.js'
import {freePorts} from '../../support/global-broker.js'
import {committedOffsets, groupsStartingWith, partitionSizes, testBrokers} from '../../support/kafka-test-utils.js'
import {buildCli, REPO, runEtl, spawnEtl} from '../../support/run-cli.js'

const HISTORY = join(REPO, 'data', 'btcusd-1d-2011-2025.csv')
const ROWS = 5000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)

describe('etl tap (end to end, against a running pipeline)', function () {
  this.timeout(120_000)
  let workspace: CliWorkspace

  before(() => buildCli())
  afterEach(async () => {
    await rm(workspace.cwd, {recursive: true, force: true})
  })

  it('prints the records of the chosen step or sink, live, and moves no offset', async () => {
    workspace = await createCliWorkspace('tap', HISTORY, ROWS)
    const {cwd, env, topic, group} = workspace
    const [metricsPort] = await freePorts(1)
    writeFileSync(
      join(cwd, 'tap.yaml'),
      [
        'name: tap-e2e',
        'kafka:',
        `  brokers: ${testBrokers().join(',')}`,
        `  topic: ${topic}`,
        `  groupId: ${group}`,
        '  partitions: 2',
        'metrics:',
        '  enabled: true',
        `  port: ${metricsPort}`,
        'source:',
        '  type: replay',
        '  path: rows.csv',
        '  speed: 17280000', // daily candles at 200 days a second: the run lasts about 25 s
        'transforms:',
        '  - type: filter',
        '    where: volume > 0',
        '  - type: map',
        '    compute:',
        '      spread: round(high - low, 2)',
        'sinks:',
        '  - type: csv',
        '    name: all',
        '    path: all.csv',
        '    columns: [timestamp, price_usd, volume, spread]',
        '  - type: csv',
        '    name: busy',
        '    where: volume > 10000',
        '    path: busy.csv',
        '    columns: [timestamp, volume]',
      ].join('\n'),
    )
    const source = parse(readFileSync(join(cwd, 'rows.csv')), {columns: true}) as {volume: string}[]
    const traded = source.filter((row) => Number(row.volume) > 0).length
    const busy = source.filter((row) => Number(row.volume) > 10000).length

    const groupsBefore = await groupsStartingWith('')
    const run = spawnEtl(['run', 'tap.yaml', '--no-local-broker', '--progress-interval', '2s'], {cwd, env})
    try {
      for (let i = 0; !/ progress .* written=[1-9]/.test(run.output.stderr) && i < 300; i++) await sleep(200)
      const tap = (args: string[]) => runEtl(['tap', 'tap.yaml', ...args], {cwd, env})
      const [mapped, consumed, toBusy, meta] = [
        await tap(['--step', '2', '--limit', '15']),
        await tap(['--step', '0', '--limit', '40']),
        await tap(['--sink', 'busy', '--limit', '10']),
        await tap(['--limit', '3', '--meta']),
      ]
      const groupsDuring = await groupsStartingWith('')
      for (const result of [mapped, consumed, toBusy, meta]) expect(result.code, result.stderr).to.equal(0)

      const afterMap = jsonLines(mapped.stdout)
      expect(afterMap).to.have.length(15)
      for (const record of afterMap) {
        expect(record.volume).to.be.greaterThan(0)
        expect(record.spread).to.equal(Math.round(((record.high as number) - (record.low as number)) * 100) / 100)
      }
      expect(mapped.stderr).to.equal('tapped 15 record(s) at step 2 (map)\n')
      const asConsumed = jsonLines(consumed.stdout)
      expect(asConsumed).to.have.length(40)
      expect(asConsumed.every((record) => !('spread' in record) && record.symbol === 'BTC')).to.equal(true)
      const routed = jsonLines(toBusy.stdout)
      expect(routed).to.have.length(10)
      expect(routed.every((record) => (record.volume as number) > 10000)).to.equal(true)
      for (const event of jsonLines(meta.stdout)) {
        expect(event).to.have.keys(['partition', 'key', 'record'])
        expect(event.key).to.equal('BTC')
        expect([0, 1]).to.include(event.partition)
      }
      // Read-only: the taps created no consumer group (the broker's list is unchanged) while the run was going.
      expect(groupsDuring.sort()).to.deep.equal([...groupsBefore, group].sort())

      const {code} = await run.exited
      expect(code, run.output.stderr).to.equal(0)
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL')
    }
    // The run ended by itself: its group committed exactly the topic's end (an empty partition: nothing), each record
    // was consumed once and each sink holds every record routed to it once.
    const ends = await partitionSizes(topic)
    const committed = [...(await committedOffsets(group, topic))].map(([p, offset]) => [p, Math.max(0, offset)])
    expect(Object.fromEntries(committed)).to.deep.equal(Object.fromEntries(ends))
    expect(run.output.stderr).to.match(new RegExp(`\\n {2}process consumed\\s+${ROWS}\\n`))
    expect(parse(readFileSync(join(cwd, 'all.csv')), {columns: true})).to.have.length(traded)
    expect(parse(readFileSync(join(cwd, 'busy.csv')), {columns: true})).to.have.length(busy)

    // Off a terminal: periodic progress lines with the run's figures.
    const progress = run.output.stderr.split('\n').filter((line) => / INFO {2}\[etl\] progress {2}/.test(line))
    expect(progress.length).to.be.greaterThan(2)
    expect(progress.at(-1)).to.match(/records_per_second=[\d.]+ produced=\d+ consumed=\d+ written=\d+ /)
    expect(progress.some((line) => / lag=\d+ /.test(line))).to.equal(true)
  })

  it('refuses a step or sink the pipeline does not have, before connecting', async () => {
    workspace = await createCliWorkspace('tap-wrong', HISTORY, 1)
    writeFileSync(
      join(workspace.cwd, 'p.yaml'),
      'name: p\nsource: {type: replay, path: rows.csv}\nsinks:\n  - {type: csv, path: o.csv, columns: [timestamp]}\n',
    )
    const step = await runEtl(['tap', 'p.yaml', '--step', '3'], workspace)
    expect(step.code).to.equal(2)
    expect(step.stderr).to.match(/^--step 3: p\.yaml has steps 0 \(as consumed from the topic\) to 0/)
    const sink = await runEtl(['tap', 'p.yaml', '--sink', 'nope'], workspace)
    expect(sink.code).to.equal(2)
    expect(sink.stderr).to.include('--sink nope: p.yaml has the sink(s) csv')
    const [port] = await freePorts(1)
    const none = await runEtl(['tap', 'p.yaml', '--url', `http://127.0.0.1:${port}`], workspace)
    expect(none.code).to.equal(1)
    expect(none.stderr).to.match(/^ETL_METRICS_UNREACHABLE: no answer from http:\/\/127\.0\.0\.1:\d+ /)
  })
})
