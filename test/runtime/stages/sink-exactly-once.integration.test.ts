/**
 * Exactly-once into the csv sink through the process stage and the real broker: input whose rows were flushed but
 * whose offsets were not committed is delivered again (the group's offsets moved back with the admin API, as a crash
 * between flush and commit leaves them) and must not be written twice, also when one batch straddles the sink's
 * recorded position; and a stateful chain whose saved state is older than the sink's position (a crash between the
 * flush and the state write) replays the gap through its transforms without writing it again.
 */
import {expect} from 'chai'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'csv-parse/sync'
import {Kafka, logLevel} from 'kafkajs'
import {parsePositions} from '../../../src/plugins/sink/csv/positions-file.js'
import {createKafkajsBus} from '../../../src/runtime/kafka/kafkajs/bus.js'
import type {MessageBus} from '../../../src/runtime/kafka/message-bus.js'
import {createLogger, type Logger} from '../../../src/runtime/logger.js'
import {runProcessUntil} from '../../support/run-process-until.js'
import {
  committedOffsets,
  createTopic,
  partitionSizes,
  produceRaw,
  testBrokers,
  uniqueName,
} from '../../support/kafka-test-utils.js'
import {
  asMessages as windowMessages,
  BASE,
  expectedWindows,
  expectExactlyOnce,
  HOUR,
  readWindowRows,
  symbols,
  ticks as windowTicks,
} from '../../support/window-expectations.js'

const SYMBOLS = ['AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF']

interface Tick {
  symbol: string
  seq: number
  price_usd: number
}

/** `count` ticks round-robin over the symbols, numbered from `from`; prices vary so percent changes are distinct. */
function ticks(from: number, count: number): Tick[] {
  return Array.from({length: count}, (_, i) => {
    const seq = from + i
    return {symbol: SYMBOLS[seq % SYMBOLS.length], seq, price_usd: 100 + ((seq * 37) % 101) / 4}
  })
}
const asMessages = (records: Tick[]) => records.map((r) => ({key: r.symbol, value: JSON.stringify(r)}))

/**
 * `target` with some members replaced: the rest are the target's own, bound to it (the buses and their consumers and
 * producers are class instances, so spreading them would lose their methods).
 */
function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T]
      const value: unknown = Reflect.get(object, property, object)
      return typeof value === 'function' ? value.bind(object) : value
    },
  })
}

async function moveGroupOffsets(groupId: string, topic: string, offsets: Map<number, number>): Promise<void> {
  const admin = new Kafka({clientId: 'etl-test', brokers: testBrokers(), logLevel: logLevel.NOTHING}).admin()
  await admin.connect()
  try {
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [...offsets].map(([partition, offset]) => ({partition, offset: String(offset)})),
    })
  } finally {
    await admin.disconnect()
  }
}

describe('process stage: exactly-once into a csv sink (real broker)', function () {
  this.timeout(180_000)
  const logs: string[] = []
  const logger = createLogger('test', {write: (line) => logs.push(line), level: 'debug'})
  let dir: string
  let topic: string
  let group: string
  let file: string
  const csvPath = () => join(dir, 'out.csv')

  function writePipeline(transforms: string[], columns: string): void {
    writeFileSync(
      file,
      [
        'name: exactly-once',
        'kafka:',
        `  topic: ${topic}`,
        `  groupId: ${group}`,
        '  partitions: 3',
        'transforms:',
        ...transforms,
        'sinks:',
        '  - type: csv',
        `    path: ${csvPath()}`,
        `    columns: [${columns}]`,
      ].join('\n'),
    )
  }

  beforeEach(async () => {
    logs.length = 0
    dir = mkdtempSync(join(tmpdir(), 'etl-sink-eo-'))
    topic = uniqueName('it-sink-eo')
    group = uniqueName('it-sink-eo-group')
    file = join(dir, 'pipeline.yaml')
    await createTopic(topic, 3)
  })

  const runUntil = (
    committed: number,
    createBus?: (brokers: string[], clientId: string, logger: Logger) => MessageBus,
  ) =>
    runProcessUntil(committed, {
      file,
      group,
      topic,
      dir,
      logger,
      createBus,
      timeoutMs: 90_000,
      context: () => logs.join('\n'),
    })

  const rowsOf = () => parse(readFileSync(csvPath(), 'utf8'), {columns: true}) as Record<string, string>[]
  /** The partitions of the positions file's newest record (of its two slots). */
  const positionsOf = () =>
    Object.fromEntries(
      [...parsePositions(readFileSync(`${csvPath()}.offsets.json`, 'utf8')).partitions].map(([p, o]) => [
        String(p),
        o.toString(),
      ]),
    )

  /** Lost and doubled sequence numbers, for assertion messages that say what went wrong. */
  function lostAndDoubled(rows: Record<string, string>[], expected: number[]): string {
    const counts = new Map<number, number>()
    for (const row of rows) counts.set(Number(row.seq), (counts.get(Number(row.seq)) ?? 0) + 1)
    const lost = expected.filter((seq) => !counts.has(seq))
    const doubled = [...counts].filter(([, n]) => n > 1).map(([seq]) => seq)
    const sample = (seqs: number[]) => seqs.slice(0, 10).join(',')
    return `lost ${lost.length} (${sample(lost)}), duplicated ${doubled.length} (${sample(doubled)})`
  }

  it('input redelivered after its rows flushed is written once; a batch straddling the position is split', async () => {
    writePipeline(['  - type: map', '    compute:', '      double: price_usd * 2'], 'seq, symbol, price_usd, double')
    const first = ticks(0, 300)
    await produceRaw(topic, asMessages(first))
    await runUntil(first.length)
    expect(rowsOf()).to.have.length(first.length)
    const ends = await committedOffsets(group, topic)
    expect(positionsOf(), 'positions recorded = committed offsets').to.deep.equal(
      Object.fromEntries([...ends].filter(([, o]) => o > 0).map(([p, o]) => [String(p), String(o)])),
    )

    // As a crash between the flush and the commit leaves it: committed offsets behind what the file holds.
    const moved = new Map([...ends].map(([partition, end]) => [partition, Math.floor(end / 3)]))
    await moveGroupOffsets(group, topic, moved)
    const second = ticks(300, 300)
    await produceRaw(topic, asMessages(second))
    const sizes = await partitionSizes(topic)

    // The real bus, watched: which offsets each batch held (nothing is changed).
    const batches: {partition: number; first: number; last: number}[] = []
    const watchingBus = (brokers: string[], clientId: string, busLogger: Logger): MessageBus => {
      const bus = createKafkajsBus({brokers, clientId, logger: busLogger})
      return overriding<MessageBus>(bus, {
        createConsumer(groupId) {
          const consumer = bus.createConsumer(groupId)
          return overriding(consumer, {
            run: (options) =>
              consumer.run({
                ...options,
                onBatch(batch) {
                  batches.push({
                    partition: batch.partition,
                    first: Number(batch.messages[0].offset),
                    last: Number(batch.messages.at(-1)!.offset),
                  })
                  return options.onBatch(batch)
                },
              }),
          })
        },
      })
    }
    logs.length = 0
    const summary = await runUntil(first.length + second.length, watchingBus)

    const rows = rowsOf()
    const all = [...first, ...second]
    expect(
      rows.length,
      lostAndDoubled(
        rows,
        all.map((t) => t.seq),
      ),
    ).to.equal(all.length)
    expect(rows.map((r) => Number(r.seq)).sort((a, b) => a - b)).to.deep.equal(all.map((t) => t.seq))
    // Per symbol in input order, and transformed.
    for (const symbol of SYMBOLS) {
      expect(rows.filter((r) => r.symbol === symbol).map((r) => [Number(r.seq), Number(r.double)])).to.deep.equal(
        all.filter((t) => t.symbol === symbol).map((t) => [t.seq, t.price_usd * 2]),
      )
    }
    const again = [...ends].reduce((sum, [partition, end]) => sum + end - moved.get(partition)!, 0)
    expect(summary.counters.get('sink csv', 'skipped_already_written')).to.equal(again)
    expect(summary.counters.get('sink csv', 'written')).to.equal(second.length)
    expect(summary.counters.get('process', 'consumed')).to.equal(again + second.length)
    expect(logs.join('\n')).to.match(
      /sink csv: partition \d: skipping \d+ record\(s\) already written before the restart/,
    )
    // Some batch held offsets on both sides of its partition's recorded position: it was cut there.
    const straddling = batches.filter(
      (b) => (ends.get(b.partition) ?? 0) > b.first && (ends.get(b.partition) ?? 0) <= b.last,
    )
    expect(straddling.length, JSON.stringify({batches, ends: [...ends]})).to.be.greaterThan(0)
    expect(positionsOf()).to.deep.equal(
      Object.fromEntries([...sizes].filter(([, n]) => n > 0).map(([p, n]) => [String(p), String(n)])),
    )
  })

  it('state behind the sink (crash after flush): the gap is replayed through the chain, not rewritten', async () => {
    writePipeline(
      [
        '  - type: window',
        '    size: 1h',
        '    key: [symbol]',
        '    aggregates:',
        '      n: {op: count}',
        '      total: {op: sum, field: price_usd}',
      ],
      'symbol, window_start, window_end, n, total',
    )
    const names = symbols(8)
    const first = windowTicks(names, BASE, BASE + 2.5 * HOUR, 5 * 60_000)
    await produceRaw(topic, windowMessages(first))
    // The real bus, with one fault where a crash would hit: the first state write fails after the sinks flushed.
    let failedStateWrite = false
    const crashingBus = (brokers: string[], clientId: string, busLogger: Logger): MessageBus => {
      const bus = createKafkajsBus({brokers, clientId, logger: busLogger})
      return overriding<MessageBus>(bus, {
        async createProducer() {
          const producer = await bus.createProducer()
          return overriding(producer, {
            send(target, messages) {
              if (target === `${group}.state` && !failedStateWrite) {
                failedStateWrite = true
                return Promise.reject(new Error('simulated crash between the sink flush and the state write'))
              }
              return producer.send(target, messages)
            },
          })
        },
      })
    }
    const failure = await runUntil(first.length, crashingBus).then(
      () => undefined,
      (error: Error) => error,
    )
    expect(failure?.message).to.include('simulated crash between the sink flush and the state write')
    const writtenBeforeCrash = readWindowRows(csvPath()).length
    expect(writtenBeforeCrash, 'the crashed batch closed windows, flushed to the file').to.be.greaterThan(0)
    const committed = await committedOffsets(group, topic)
    const recorded = positionsOf()
    expect(
      Object.entries(recorded).some(([p, o]) => Number(o) > Math.max(0, committed.get(Number(p)) ?? 0)),
      'the file is ahead of the commits',
    ).to.equal(true)

    const second = windowTicks(names, BASE + 2.5 * HOUR, BASE + 5 * HOUR, 5 * 60_000)
    await produceRaw(topic, windowMessages(second))
    logs.length = 0
    const summary = await runUntil(first.length + second.length)
    // Every window once with all its records: the chain saw the skipped input again (its state was older).
    expectExactlyOnce(readWindowRows(csvPath()), expectedWindows([...first, ...second]))
    expect(summary.counters.get('sink csv', 'skipped_already_written')).to.equal(writtenBeforeCrash)
    expect(logs.join('\n')).to.match(/skipping \d+ record\(s\) already written before the restart/)
  })
})
