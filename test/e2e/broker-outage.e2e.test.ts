/**
 * End to end: the broker goes away for more than 20 s under a running `etl run` (the built CLI, its own broker on free
 * ports, the real 5-minute BTC history replayed at a pace). The source keeps reading into its bounded buffer, the
 * process stage waits, nothing exits; when the broker is back on the same data folder the buffer drains and the run
 * ends by itself with every row of the file in the CSV — and on the topic exactly once.
 */
import {expect} from 'chai'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'csv-parse/sync'
import {Kafka, logLevel} from 'kafkajs'
import {createLogger} from '../../src/runtime/logger.js'
import {startLocalBroker, stopLocalBroker} from '../../src/runtime/kafka-local/local-broker.js'
import {freePorts} from '../support/global-broker.js'
import {buildCli, REPO, spawnEtl, type RunningEtl} from '../support/run-cli.js'

const HISTORY = join(REPO, 'data', 'btcusd-5m-2011.csv')
/** 60 rows a second (five minutes of event time each, at 18,000× real time): ~45 s for the whole run. */
const ROWS = 2700
const SPEED = 18_000
const OUTAGE_MS = 25_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor(what: string, timeoutMs: number, check: () => boolean, cli: RunningEtl): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (cli.child.exitCode !== null)
      throw new Error(`etl exited (${cli.child.exitCode}) while waiting for ${what}\n${cli.output.stderr}`)
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${cli.output.stderr}`)
    await sleep(100)
  }
}

/** The first ROWS rows of the file as [ISO timestamp, close], read without etl's CSV code. */
function expectedRows(): string[][] {
  const [, ...lines] = readFileSync(HISTORY, 'utf8').trim().split('\n')
  return lines.slice(0, ROWS).map((line) => {
    const cells = line.split(',') // timestamp,open,close,volume,unix_timestamp,high,low
    return [new Date(Number(cells[4]) * 1000).toISOString(), String(Number(cells[2]))]
  })
}

/** Every committed record of the topic, read with a plain kafkajs consumer (read_committed, its default). */
async function readCommitted(brokers: string, topic: string, count: number): Promise<string[]> {
  const kafka = new Kafka({clientId: 'etl-test-outage', brokers: [brokers], logLevel: logLevel.NOTHING})
  const consumer = kafka.consumer({groupId: `etl-test-outage-reader-${Date.now()}`})
  const values: string[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({topics: [topic], fromBeginning: true})
    await consumer.run({eachMessage: async ({message}) => void values.push(message.value?.toString() ?? '')})
    const deadline = Date.now() + 30_000
    while (values.length < count && Date.now() < deadline) await sleep(100)
    await sleep(1000) // anything beyond `count` (a duplicate) has a moment to show up
  } finally {
    await consumer.disconnect()
  }
  return values
}

describe('etl run while the broker is down for a while (end to end, its own broker)', function () {
  this.timeout(300_000)
  let cwd: string
  let brokerDir: string
  const quiet = createLogger('test-broker', {level: 'error'})

  before(() => buildCli())
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'etl-e2e-outage-'))
    brokerDir = join(cwd, 'broker')
  })
  afterEach(async () => {
    await stopLocalBroker({stateDir: brokerDir, logger: quiet}).catch(() => undefined)
    await rm(cwd, {recursive: true, force: true})
  })

  it('buffers while the broker is gone ≥ 20 s, drains when it is back, and ends with the complete CSV', async () => {
    const [port, controllerPort] = await freePorts(2)
    const brokers = `127.0.0.1:${port}`
    await startLocalBroker({stateDir: brokerDir, port, controllerPort, logger: quiet})
    const topic = 'outage_prices'
    const pipeline = join(cwd, 'outage.yaml')
    writeFileSync(
      pipeline,
      [
        'name: outage',
        'kafka:',
        `  brokers: ${brokers}`,
        `  topic: ${topic}`,
        '  partitions: 1',
        '  producerBuffer: {maxRecords: 100000}',
        'source:',
        '  type: replay',
        `  path: ${HISTORY}`,
        `  speed: ${SPEED}`,
        `  limit: ${ROWS}`,
        '  batchSize: 50',
        'sinks:',
        '  - type: csv',
        '    path: out.csv',
        '    columns: [timestamp, price_usd]',
      ].join('\n'),
    )
    const csvPath = join(cwd, 'out.csv')
    const dataRows = () =>
      existsSync(csvPath) ? Math.max(0, readFileSync(csvPath, 'utf8').trim().split('\n').length - 1) : 0
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ETL_STATE_DIR: join(cwd, '.etl')}
    delete env.ETL_LOG_LEVEL
    const cli = spawnEtl(['run', pipeline, '--no-local-broker'], {cwd, env})
    try {
      await waitFor('rows in the CSV before the outage', 90_000, () => dataRows() >= 200, cli)
      await stopLocalBroker({stateDir: brokerDir, logger: quiet})
      const stoppedAt = Date.now()
      const rowsAtStop = dataRows()
      await waitFor(
        'the source to report that it is buffering',
        60_000,
        () => /buffering the source's records/.test(cli.output.stderr),
        cli,
      )
      while (Date.now() - stoppedAt < OUTAGE_MS) {
        expect(
          cli.child.exitCode,
          `etl is still running ${Math.round((Date.now() - stoppedAt) / 1000)} s into the outage\n${cli.output.stderr}`,
        ).to.equal(null)
        await sleep(500)
      }
      expect(dataRows(), 'nothing reached the CSV while the broker was down').to.be.lessThanOrEqual(rowsAtStop + 50)
      await startLocalBroker({stateDir: brokerDir, port, controllerPort, logger: quiet})
      const {code} = await cli.exited
      expect(code, cli.output.stderr).to.equal(0)
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL')
    }
    const stderr = cli.output.stderr
    if (process.env.ETL_E2E_LOG_DIR)
      writeFileSync(join(process.env.ETL_E2E_LOG_DIR, 'broker-outage.stderr.log'), stderr)
    expect(stderr).to.match(/Kafka takes records again after \d+ s/)
    expect(stderr).to.match(/source buffer drained/)
    expect(stderr).to.match(/^\s+source replay produced\s+2700$/m)
    expect(stderr).to.match(/^\s+source replay buffer_peak\s+\d+$/m)

    // The CSV has every row of the file; the process stage may repeat a batch it could not commit during the outage,
    // but no row is missing, none is foreign, and they come in the file's order.
    const expected = expectedRows()
    const [header, ...rows] = parse(readFileSync(csvPath, 'utf8')) as string[][]
    expect(header).to.deep.equal(['timestamp', 'price_usd'])
    const firstSeen = [...new Map(rows.map((row) => [row.join(','), row])).values()]
    expect(firstSeen).to.deep.equal(expected)

    // Source → topic is exactly once: every row on the topic once, in order, whatever the outage did.
    const onTopic = (await readCommitted(brokers, topic, ROWS)).map(
      (value) => JSON.parse(value) as {timestamp: string; price_usd: number},
    )
    expect(onTopic.map((r) => [r.timestamp, String(r.price_usd)])).to.deep.equal(expected)
  })
})
