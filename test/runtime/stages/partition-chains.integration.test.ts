/**
 * Per-partition transform chains against the real broker's state topic: which chains a new assignment closes (and
 * that it closes them without flushing), that a new member id rebuilds every chain from the state topic, what a
 * restored chain skips, that saved state of another transform is not restored into this one, and the state size.
 */
import {expect} from 'chai'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {PipelineConfig, StageConfig} from '../../../src/runtime/config/load-pipeline.js'
import {Counters} from '../../../src/runtime/counters.js'
import {createKafkajsBus} from '../../../src/runtime/kafka/kafkajs/bus.js'
import type {ConsumedMessage, MessageBus} from '../../../src/runtime/kafka/message-bus.js'
import {createLogger} from '../../../src/runtime/logger.js'
import {definePlugin, type PluginContext} from '../../../src/runtime/plugin-types.js'
import {PartitionChains} from '../../../src/runtime/stages/partition-chains.js'
import {TransformStateStore} from '../../../src/runtime/state/transform-state-store.js'
import {testBrokers, uniqueName} from '../../support/kafka-test-utils.js'

/** Counts the records it saw; remembers what happened to each instance. */
const events: string[] = []
const counter = definePlugin<'transform', Record<string, never>>({
  name: 'counter',
  kind: 'transform',
  summary: 'test transform',
  configSchema: {type: 'object', properties: {}},
  create(_config, context: PluginContext) {
    let seen = 0
    const who = context.stateDir.split('/').slice(-1)[0]
    return {
      process: (records) => {
        seen += records.length
        return records
      },
      checkpoint: () => ({seen}),
      restore(state) {
        seen = (state as {seen: number}).seen
        events.push(`${who} restored ${seen}`)
      },
      flush: () => {
        events.push(`${who} flushed`)
        return []
      },
      close: async () => void events.push(`${who} closed at ${seen}`),
    }
  },
})

const message = (offset: number): ConsumedMessage => ({
  offset: String(offset),
  key: null,
  value: Buffer.from('{}'),
  headers: {},
})

describe('partition chains (real broker state topic)', function () {
  this.timeout(60_000)
  const logs: string[] = []
  const logger = createLogger('test', {write: (line) => logs.push(line), level: 'debug'})
  let bus: MessageBus
  let producer: ReturnType<MessageBus['createProducer']> | undefined

  beforeEach(() => {
    producer = undefined
    events.length = 0
    logs.length = 0
    bus = createKafkajsBus({brokers: testBrokers(), clientId: uniqueName('it-chains'), logger})
  })
  afterEach(async () => {
    await (await producer)?.disconnect()
    await bus.close()
  })

  function chains(label = 'counter', topic = uniqueName('it-chains') + '.state') {
    const stage: StageConfig = {
      kind: 'transform',
      type: 'counter',
      label,
      definition: counter,
      config: {},
      path: ['transforms', 0],
    }
    const pipeline = {
      name: 'chains',
      dir: tmpdir(),
      transforms: [stage],
      kafka: {topic: 'in'},
    } as unknown as PipelineConfig
    const counters = new Counters()
    const store = new TransformStateStore({
      bus,
      topic,
      replicationFactor: 1,
      producer: () => (producer ??= bus.createProducer()),
      logger,
    })
    const inputs = {
      pipeline,
      logger,
      counters,
      stateRoot: mkdtempSync(join(tmpdir(), 'etl-chains-')),
      signal: new AbortController().signal,
      onReject: () => undefined,
      kafka: {produce: async () => undefined},
    }
    return {chains: new PartitionChains(inputs, store), counters, topic}
  }

  it('a new assignment closes, unflushed, the chains of partitions that left; a new member id closes all', async () => {
    const {chains: c} = chains()
    c.assigned({partitions: [0, 1], memberId: 'm1'})
    await c.settle()
    const zero = await c.chainFor(0)
    const one = await c.chainFor(1)
    await zero.transforms[0].instance.process([{}])
    c.assigned({partitions: [1, 2], memberId: 'm1'})
    expect(events).to.deep.equal([]) // applied between batches, not from the consumer's event
    await c.settle()
    expect(events).to.deep.equal(['p0 closed at 1'])
    expect(await c.chainFor(1)).to.equal(one)
    c.assigned({partitions: [1, 2], memberId: 'm2'})
    await c.settle()
    expect(events).to.deep.equal(['p0 closed at 1', 'p1 closed at 0'])
    expect(c.all).to.deep.equal([])
    expect(logs.join('\n')).to.include('released partition(s) 1 (rejoined the group as a new member)')
  })

  it('restores a partition from the state topic and skips what the saved state already includes', async () => {
    const first = chains()
    const chain = await first.chains.chainFor(3)
    await chain.transforms[0].instance.process([{}, {}, {}])
    await first.chains.checkpoint(chain, 103n)
    // Unchanged state is not written again, but the chain still knows where it is.
    await first.chains.checkpoint(chain, 110n)
    expect(chain.nextOffset).to.equal(110n)
    expect(first.chains.unprocessed(chain, [108, 109, 110, 111].map(message)).map((m) => m.offset)).to.deep.equal([
      '110',
      '111',
    ])
    expect(first.counters.get('process', 'skipped_already_processed')).to.equal(2)

    // Another process takes partition 3 over: the state as of offset 103 (the last write), and offsets below skipped.
    const second = chains('counter', first.topic)
    second.chains.assigned({partitions: [3], memberId: 'x'})
    await second.chains.settle()
    const taken = await second.chains.chainFor(3)
    expect(events).to.include('p3 restored 3')
    expect(taken.nextOffset).to.equal(103n)
    expect(second.chains.unprocessed(taken, [100, 101, 102, 103].map(message)).map((m) => m.offset)).to.deep.equal([
      '103',
    ])
    expect(second.counters.get('process', 'skipped_already_processed')).to.equal(3)
    expect((await second.chains.chainFor(4)).nextOffset, 'a partition with no saved state').to.equal(undefined)

    // A pipeline whose transform at that position is now another one does not get its state.
    const renamed = chains('renamed', first.topic)
    const fresh = await renamed.chains.chainFor(3)
    expect(fresh.nextOffset).to.equal(undefined)
    expect(renamed.counters.get('process', 'state_discarded')).to.equal(1)
    expect(logs.join('\n')).to.include(
      'ignoring saved state of counter "counter" for transform 1 (now counter "renamed")',
    )
  })

  it('reports the saved state size of each transform, summed over partitions, 0 once its partitions left', async () => {
    const {chains: c, counters} = chains()
    const levels: [string, string, number][] = []
    counters.observe({
      counted: () => undefined,
      level: (scope, event, value) => void levels.push([scope, event, value]),
    })
    c.assigned({partitions: [0, 1], memberId: 'm1'})
    await c.settle()
    const zero = await c.chainFor(0)
    const one = await c.chainFor(1)
    await zero.transforms[0].instance.process(Array.from({length: 12}, () => ({})))
    await c.checkpoint(zero, 12n)
    expect(levels.at(-1)).to.deep.equal(['transform counter', 'state_bytes', '{"seen":12}'.length])
    await one.transforms[0].instance.process([{}])
    await c.checkpoint(one, 1n)
    expect(levels.at(-1)).to.deep.equal(['transform counter', 'state_bytes', '{"seen":12}{"seen":1}'.length])
    c.assigned({partitions: [1], memberId: 'm1'})
    await c.settle()
    expect(levels.at(-1)).to.deep.equal(['transform counter', 'state_bytes', '{"seen":1}'.length])
    c.assigned({partitions: [], memberId: 'm1'})
    await c.settle()
    expect(levels.at(-1)).to.deep.equal(['transform counter', 'state_bytes', 0])
  })
})
