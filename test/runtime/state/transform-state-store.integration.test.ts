/**
 * Transform state in Kafka, through the real broker: a process stage that stops continues its open windows in the
 * next run from the `<group>.state` topic alone (a fresh state folder each run), and a crash after the state of a
 * batch was written but before its offsets were committed neither loses nor double-counts that batch.
 */
import {expect} from 'chai'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createKafkajsBus} from '../../../src/runtime/kafka/kafkajs/bus.js'
import type {MessageBus} from '../../../src/runtime/kafka/message-bus.js'
import {createLogger, type Logger} from '../../../src/runtime/logger.js'
import {runProcessUntil} from '../../support/run-process-until.js'
import {committedOffsets, createTopic, produceRaw, readTopic, uniqueName} from '../../support/kafka-test-utils.js'
import {hourlyPipeline} from '../../support/hourly-pipeline.js'
import {
  asMessages,
  BASE,
  expectedWindows,
  expectExactlyOnce,
  HOUR,
  readWindowRows,
  symbols,
  ticks,
} from '../../support/window-expectations.js'

describe('transform state in Kafka (real broker)', function () {
  this.timeout(120_000)
  const logs: string[] = []
  const logger = createLogger('test', {write: (line) => logs.push(line), level: 'debug'})
  let dir: string
  let topic: string
  let group: string
  let file: string

  beforeEach(async () => {
    logs.length = 0
    dir = mkdtempSync(join(tmpdir(), 'etl-state-'))
    topic = uniqueName('it-state')
    group = uniqueName('it-state-group')
    file = join(dir, 'hourly.yaml')
    writeFileSync(file, hourlyPipeline({topic, group, partitions: 3, out: join(dir, 'hourly.csv')}))
    await createTopic(topic, 3)
  })

  const runUntil = (
    committed: number,
    createBus?: (brokers: string[], clientId: string, logger: Logger) => MessageBus,
  ) => runProcessUntil(committed, {file, group, topic, dir, logger, createBus})

  it('a restart continues open windows exactly from the state topic, nothing on disk from the first run', async () => {
    const names = symbols(8)
    const first = ticks(names, BASE, BASE + 2.5 * HOUR, 5 * 60_000)
    const second = ticks(names, BASE + 2.5 * HOUR, BASE + 6 * HOUR, 5 * 60_000)
    await produceRaw(topic, asMessages(first))
    const one = await runUntil(first.length)
    expect(one.counters.get('process', 'consumed')).to.equal(first.length)
    const afterOne = readWindowRows(join(dir, 'hourly.csv'))
    expectExactlyOnce(afterOne, expectedWindows(first))

    // Every partition's state is in the compacted topic, at the partition's committed offset.
    const state = await readTopic(`${group}.state`, 3)
    const offsets = await committedOffsets(group, topic)
    for (const message of state) {
      const [partition, index] = message.key!.split('/').map(Number)
      const value = JSON.parse(message.value) as {offset: string; label: string; type: string; state: {keys: unknown[]}}
      expect([index, value.label, value.type]).to.deep.equal([0, 'window', 'window'])
      expect(Number(value.offset), `state of partition ${partition}`).to.equal(offsets.get(partition))
      expect(value.state.keys.length).to.be.greaterThan(0)
    }

    await produceRaw(topic, asMessages(second))
    logs.length = 0
    const two = await runUntil(first.length + second.length)
    expect(two.counters.get('process', 'consumed')).to.equal(second.length)
    expect(two.counters.get('process', 'skipped_already_processed')).to.equal(0)
    expect(logs.filter((line) => /restored transform state from .*\.state/.test(line))).to.have.length(3)
    expect(logs.some((line) => /\[test:transform:window\/p\d\] restored \d+ open window\(s\)/.test(line))).to.equal(
      true,
    )
    // The same windows as one uninterrupted computation over both halves: the hour cut at 2.5 h is whole, not split.
    const rows = readWindowRows(join(dir, 'hourly.csv'))
    expectExactlyOnce(rows, expectedWindows([...first, ...second]))
    expect(rows.filter((row) => row.window_start === new Date(BASE + 2 * HOUR).toISOString())).to.have.length(
      names.length,
    )
  })

  it("a crash between a batch's state write and its offset commit: that batch is skipped, not recounted", async () => {
    const names = symbols(8)
    const first = ticks(names, BASE, BASE + 2.5 * HOUR, 5 * 60_000)
    const second = ticks(names, BASE + 2.5 * HOUR, BASE + 5 * HOUR, 5 * 60_000)
    await produceRaw(topic, asMessages(first))
    // The real kafkajs bus, with one fault injected where a crash would hit: the first batch went through the process
    // stage (sinks flushed, state produced and acknowledged), then the process "dies" before the bus commits it.
    let crashed: {partition: number; offsets: string[]} | undefined
    const crashingBus = (brokers: string[], clientId: string, busLogger: Logger): MessageBus => {
      const bus = createKafkajsBus({brokers, clientId, logger: busLogger})
      return {
        ...bus,
        createConsumer(groupId) {
          const consumer = bus.createConsumer(groupId)
          return {
            ...consumer,
            run: (options) =>
              consumer.run({
                ...options,
                async onBatch(batch) {
                  await options.onBatch(batch)
                  crashed = {partition: batch.partition, offsets: batch.messages.map((m) => m.offset)}
                  throw new Error('simulated crash between the state write and the commit')
                },
              }),
          }
        },
      }
    }
    const failure = await runUntil(first.length, crashingBus).then(
      () => undefined,
      (error: Error) => error,
    )
    expect(failure?.message).to.equal('simulated crash between the state write and the commit')
    expect(crashed!.offsets.length).to.be.greaterThan(0)
    const next = Number(crashed!.offsets.at(-1)) + 1
    // The gap is real: the state topic holds the batch, the group's committed offsets do not.
    expect((await committedOffsets(group, topic)).get(crashed!.partition)).to.be.lessThan(next)
    const state = await readTopic(`${group}.state`, 1)
    expect(state.map((m) => [m.key, (JSON.parse(m.value) as {offset: string}).offset])).to.deep.equal([
      [`${crashed!.partition}/0`, String(next)],
    ])
    const writtenBeforeCrash = readWindowRows(join(dir, 'hourly.csv')).length
    expect(writtenBeforeCrash, 'the crashed batch had closed windows, already in the CSV').to.be.greaterThan(0)

    await produceRaw(topic, asMessages(second))
    logs.length = 0
    const after = await runUntil(first.length + second.length)
    expectExactlyOnce(readWindowRows(join(dir, 'hourly.csv')), expectedWindows([...first, ...second]))
    expect(after.counters.get('process', 'skipped_already_processed')).to.equal(crashed!.offsets.length)
    expect(after.counters.get('process', 'consumed')).to.equal(first.length + second.length - crashed!.offsets.length)
    expect(logs.join('\n')).to.match(
      new RegExp(`partition ${crashed!.partition}: skipping ${crashed!.offsets.length} message\\(s\\) from offset`),
    )
  })
})
