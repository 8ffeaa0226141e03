/**
 * Several sources in one pipeline (`sources:`) through the real broker: each writes the same topic under its own
 * transactional id and checkpoint, a restart resumes each from its own, and one failing stops the others.
 */
import {expect} from 'chai'
import {parse} from 'csv-parse/sync'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadPipeline} from '../../src/index.js'
import {createKafkajsBus} from '../../src/runtime/kafka/kafkajs/bus.js'
import {EtlError} from '../../src/runtime/errors.js'
import {createLogger} from '../../src/runtime/logger.js'
import {runPipeline, type StageSelection} from '../../src/runtime/run-pipeline.js'
import {readSourceState, sourceStateKey} from '../../src/runtime/state/source-state-store.js'
import {readTopic, testBrokers, uniqueName} from '../support/kafka-test-utils.js'

const DATA = join(import.meta.dirname, '../../data/btcusd-1d-2011-2025.csv')
const CRASHING = join(import.meta.dirname, '../fixtures/plugins/crashing-source.mjs')

describe('a pipeline with several sources (real Kafka)', function () {
  this.timeout(120_000)
  let dir: string
  let topic: string
  let group: string
  const logger = createLogger('test', {level: 'warn'})
  const header = 'timestamp,open,close,volume,unix_timestamp,high,low\n'
  const lines = readFileSync(DATA, 'utf8').trim().split('\n').slice(1)

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'etl-sources-'))
    topic = uniqueName('it-sources')
    group = uniqueName('it-sources-group')
    writeFileSync(join(dir, 'first.csv'), header + lines.slice(0, 40).join('\n') + '\n')
    writeFileSync(join(dir, 'second.csv'), header + lines.slice(40, 100).join('\n') + '\n')
  })

  function pipelineFile(name: string, sources: string[]): string {
    const file = join(dir, `${name}.yaml`)
    const body = [
      `name: ${name}`,
      `plugins: [${CRASHING}]`,
      'kafka:',
      `  topic: ${topic}`,
      `  groupId: ${group}`,
      'sources:',
      ...sources,
      'sinks:',
      '  - type: csv',
      `    path: ${join(dir, 'out.csv')}`,
      '    columns: [timestamp, price_usd]',
    ]
    writeFileSync(file, body.join('\n') + '\n')
    return file
  }

  const replay = (name: string, file: string, extra = '') =>
    `  - {type: replay, name: ${name}, path: ${join(dir, file)}${extra}}`

  async function run(file: string, stage: StageSelection = 'all') {
    return runPipeline(await loadPipeline(file), {
      stage,
      logger,
      signal: new AbortController().signal,
      stateRoot: join(dir, '.etl'),
      localBroker: false,
    })
  }

  it('both write the topic, each counted under its name; a rerun resumes each from its own checkpoint', async () => {
    const file = pipelineFile('two-sources', [replay('early', 'first.csv'), replay('late', 'second.csv')])
    const summary = await run(file, 'source')
    expect(summary.counters.get('source early', 'produced')).to.equal(40)
    expect(summary.counters.get('source late', 'produced')).to.equal(60)
    const onTopic = await readTopic(topic, 100)
    const stamps = onTopic.map((m) => (JSON.parse(m.value) as {timestamp: string}).timestamp).sort()
    const expected = lines.slice(0, 100).map((line) => new Date(Number(line.split(',')[4]) * 1000).toISOString())
    expect(stamps).to.deep.equal(expected.sort())

    // Each source's checkpoint is its own record in the state topic: the replay position at its own file's end.
    const pipeline = await loadPipeline(file)
    const bus = createKafkajsBus({brokers: testBrokers(), clientId: 'etl-test', logger})
    try {
      const stateTopic = pipeline.kafka.sourceStateTopic
      const early = await readSourceState(bus, stateTopic, sourceStateKey('two-sources', 'early'))
      const late = await readSourceState(bus, stateTopic, sourceStateKey('two-sources', 'late'))
      expect(early?.label).to.equal('early')
      expect(late?.label).to.equal('late')
      expect(early?.checkpoint).to.include({produced: 40})
      expect(late?.checkpoint).to.include({produced: 60})
    } finally {
      await bus.close()
    }

    // A rerun of the whole pipeline: both sources restore their end positions and produce nothing more, and the
    // process stage writes each of the 100 records once.
    const again = await run(file)
    expect(again.counters.get('source early', 'produced')).to.equal(0)
    expect(again.counters.get('source late', 'produced')).to.equal(0)
    const rows = parse(readFileSync(join(dir, 'out.csv'), 'utf8'), {columns: true}) as Record<string, string>[]
    expect(rows).to.have.length(100)
    expect(rows.map((r) => r.timestamp).sort()).to.deep.equal(expected)
  })

  it('one source failing stops the others, and the run fails with its error', async () => {
    // A real-time replay of daily candles would run for weeks: only its sibling's failure ends this run.
    const slow = replay('slow', 'second.csv', ', speed: 1')
    const file = pipelineFile('one-fails', [slow, '  - {type: crashing, how: create}'])
    const started = Date.now()
    const error = await run(file, 'source').then(
      () => undefined,
      (e: unknown) => e as EtlError,
    )
    expect(error?.code).to.equal('ETL_PLUGIN_FAILED')
    expect(error?.message).to.include('source plugin "crashing" failed in create')
    expect(Date.now() - started).to.be.below(60_000)
  })
})
