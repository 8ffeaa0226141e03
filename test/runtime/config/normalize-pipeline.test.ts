/**
 * normalize-pipeline.ts on its own: a document the pipeline schema accepted (so holding the schema's defaults) and
 * the plugin found for each entry → the PipelineConfig the runtime uses. The defaults are read from the schema here,
 * never written out, so these tests prove where the values come from rather than repeat them.
 */
import {expect} from 'chai'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createRegistry, loadPipeline} from '../../../src/index.js'
import {normalizePipeline, type StagePlugin} from '../../../src/runtime/config/normalize-pipeline.js'
import type {PipelineDocument} from '../../../src/runtime/config/pipeline-document.js'
import {DEFAULT_SHUTDOWN_GRACE, ENTRY_SCHEMAS, PIPELINE_SCHEMA} from '../../../src/runtime/config/pipeline-schema.js'
import {createAjv} from '../../../src/runtime/config/schema-problems.js'
import {parseDuration} from '../../../src/runtime/duration.js'
import type {PluginKind} from '../../../src/runtime/plugin-types.js'
import {DEFAULT_SINK_RETRY, DEFAULT_SOURCE_RETRY} from '../../../src/runtime/retry.js'

const registry = createRegistry()
const validate = createAjv().compile<PipelineDocument>(PIPELINE_SCHEMA)
const KAFKA = PIPELINE_SCHEMA.properties.kafka.properties

/** `raw` as loadPipeline hands it to the normaliser: validated against the pipeline schema, its defaults filled in. */
function documentOf(raw: unknown): PipelineDocument {
  const data = structuredClone(raw)
  if (!validate(data)) throw new Error(`not a valid pipeline document: ${JSON.stringify(validate.errors)}`)
  return data
}

/** What check-stages.ts finds for each entry: here the built-in plugin it names, with a config given by the test. */
function pluginsOf(document: PipelineDocument, configs: Map<object, Record<string, unknown>> = new Map()) {
  const plugins = new Map<object, StagePlugin>()
  const add = (kind: PluginKind, entry: {type: string}) => {
    const definition = registry.get(kind, entry.type)
    if (!definition) throw new Error(`no ${kind} plugin ${entry.type}`)
    plugins.set(entry, {definition, config: configs.get(entry) ?? {}})
  }
  if (document.source) add('source', document.source)
  for (const entry of document.transforms) add('transform', entry)
  for (const entry of document.sinks) add('sink', entry)
  for (const entry of document.charts) add('chart', entry)
  return plugins
}

function normalize(raw: unknown, file = '/pipelines/prices.yaml') {
  const document = documentOf(raw)
  return normalizePipeline(document, pluginsOf(document), {file, registry})
}

describe('normalizePipeline', () => {
  it('takes every default the file leaves out from the pipeline schema', () => {
    const pipeline = normalize({source: {type: 'replay'}, sinks: [{type: 'stdout'}], charts: [chart()]})
    expect(pipeline.kafka).to.include({
      topic: KAFKA.topic.default,
      partitions: KAFKA.partitions.default,
      fromBeginning: KAFKA.fromBeginning.default,
      client: KAFKA.client.default,
    })
    // No default in the schema: the bus picks min(3, brokers) when it creates a topic (core/replication.ts).
    expect(pipeline.kafka.replicationFactor).to.equal(undefined)
    const buffer = KAFKA.producerBuffer.properties
    expect(pipeline.kafka.producerBuffer).to.deep.equal({
      maxRecords: buffer.maxRecords.default,
      whenFull: buffer.whenFull.default,
    })
    expect(pipeline.shutdown.graceMs).to.equal(parseDuration(DEFAULT_SHUTDOWN_GRACE))
    const metrics = PIPELINE_SCHEMA.properties.metrics.properties
    expect(pipeline.metrics).to.deep.equal({
      enabled: metrics.enabled.default,
      port: metrics.port.default,
      host: metrics.host.default,
      eventTime: metrics.eventTime.default,
    })
    expect(pipeline.sources[0]!.retry).to.deep.equal(DEFAULT_SOURCE_RETRY)
    expect(pipeline.sources[0]).to.not.have.property('worker') // `auto`, the schema's default
    expect(pipeline.sinks[0].retry).to.deep.equal(DEFAULT_SINK_RETRY)
    expect(pipeline.charts[0].type).to.equal(ENTRY_SCHEMAS.chart.properties.type.default)
    expect(pipeline.charts[0].everyMs).to.equal(parseDuration(String(ENTRY_SCHEMAS.chart.properties.every.default)))
  })

  it('derives the defaults that depend on other fields: names from the file name and the topic', () => {
    const pipeline = normalize({kafka: {topic: 'ticks'}, sinks: [{type: 'stdout'}]}, '/p/btc prices.yaml')
    expect(pipeline.name).to.equal('btc-prices')
    expect(pipeline.kafka).to.include({
      clientId: 'etl-btc-prices',
      groupId: 'etl-btc-prices',
      deadLetterTopic: 'ticks.dlq',
      sourceStateTopic: 'etl-btc-prices.source-state',
    })
    expect(pipeline.kafka.brokers).to.equal(undefined)
    const grouped = normalize({name: 'p', kafka: {groupId: 'team.g'}, sinks: [{type: 'stdout'}]})
    expect(grouped.kafka).to.include({clientId: 'etl-p', groupId: 'team.g', sourceStateTopic: 'team.g.source-state'})
  })

  it('turns a full pipeline into exactly what the runtime needs', () => {
    const document = documentOf(FULL)
    const configs = new Map<object, Record<string, unknown>>([[document.sinks[0], {path: 'out/alerts.csv'}]])
    const plugins = pluginsOf(document, configs)
    const pipeline = normalizePipeline(document, plugins, {file: '/pipelines/full.yaml', registry})
    const where = pipeline.sinks[0].where
    expect(where?.({record_type: 'alert'})).to.equal(true)
    expect(where?.({record_type: 'price'})).to.equal(false)
    const stage = (kind: PluginKind, type: string) => ({kind, type, definition: registry.get(kind, type), config: {}})
    expect({...pipeline, sinks: pipeline.sinks.map(({where: _, ...sink}) => sink)}).to.deep.equal({
      file: '/pipelines/full.yaml',
      dir: '/pipelines',
      name: 'full',
      description: 'every field set',
      kafka: {
        brokers: ['kafka-1:9092', 'kafka-2:9092'],
        topic: 'ticks',
        partitions: 6,
        replicationFactor: 3,
        clientId: 'full-client',
        groupId: 'full-group',
        fromBeginning: false,
        key: "exchange + ':' + symbol",
        deadLetterTopic: 'ticks.rejected',
        sourceStateTopic: 'full.checkpoints',
        client: 'platformatic',
        producerBuffer: {maxRecords: 500, whenFull: 'drop-oldest'},
      },
      sources: [
        {
          ...stage('source', 'replay'),
          label: 'history',
          path: ['source'],
          retry: {maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 5000},
          worker: true,
        },
      ],
      transforms: [{...stage('transform', 'map'), label: 'double', path: ['transforms', 0], retry: DEFAULT_SINK_RETRY}],
      sinks: [
        {
          ...stage('sink', 'csv'),
          config: {path: 'out/alerts.csv'},
          label: 'alerts',
          path: ['sinks', 0],
          retry: {maxAttempts: 0, initialDelayMs: 500, maxDelayMs: 120_000},
        },
        {...stage('sink', 'stdout'), label: 'stdout', path: ['sinks', 1], retry: DEFAULT_SINK_RETRY},
      ],
      charts: [
        {
          ...stage('chart', 'vega-lite'),
          label: 'prices',
          path: ['charts', 0],
          retry: DEFAULT_SINK_RETRY,
          data: {kind: 'csv', path: 'out/prices.csv'},
          everyMs: 2500,
        },
        {
          ...stage('chart', 'vega-lite'),
          label: 'live',
          path: ['charts', 1],
          retry: DEFAULT_SINK_RETRY,
          data: {kind: 'stream'},
          everyMs: 60_000,
        },
      ],
      dashboard: {alerts: {kind: 'csv', path: 'out/alerts.csv'}},
      shutdown: {graceMs: 90_000},
      metrics: {enabled: true, port: 0, host: '0.0.0.0', eventTime: ['timestamp']},
      registry,
      warnings: [],
    })
  })

  it("keys messages by kafka.key, else by the source plugin's declared key, else not at all", () => {
    const replay = registry.get('source', 'replay')
    const declared = replay?.messageKey?.({})
    expect(declared, 'the replay source declares a key').to.be.a('string')
    expect(normalize({source: {type: 'replay'}, sinks: [{type: 'stdout'}]}).kafka.key).to.equal(declared)
    const keyed = normalize({kafka: {key: 'series'}, source: {type: 'replay'}, sinks: [{type: 'stdout'}]})
    expect(keyed.kafka.key).to.equal('series')
    expect(normalize({sinks: [{type: 'stdout'}]}).kafka).to.not.have.property('key')
  })

  it('does not read the plugin fields of an entry: the config is what checking it against its plugin gave', () => {
    const document = documentOf({sinks: [{type: 'csv', path: 'as/written.csv'}]})
    const configs = new Map<object, Record<string, unknown>>([[document.sinks[0], {path: 'checked.csv', append: 1}]])
    const pipeline = normalizePipeline(document, pluginsOf(document, configs), {file: 'p.yaml', registry})
    expect(pipeline.sinks[0].config).to.deep.equal({path: 'checked.csv', append: 1})
  })

  it('refuses an entry that was not checked against its plugin', () => {
    const document = documentOf({sinks: [{type: 'stdout'}]})
    expect(() => normalizePipeline(document, new Map(), {file: 'p.yaml', registry})).to.throw(/not checked/)
  })
})

describe('loadPipeline: defaults come from the schema', () => {
  it('a file without kafka.client gets the schema default, as it gets every other kafka default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-normalize-'))
    const file = join(dir, 'minimal.yaml')
    writeFileSync(file, 'sinks: [{type: stdout}]\n')
    const pipeline = await loadPipeline(file, {env: {}})
    expect(pipeline.kafka.client).to.equal(KAFKA.client.default)
    expect(pipeline.kafka.producerBuffer.maxRecords).to.equal(KAFKA.producerBuffer.properties.maxRecords.default)
    expect(pipeline.kafka.topic).to.equal(KAFKA.topic.default)
    expect(pipeline.shutdown.graceMs).to.equal(parseDuration(DEFAULT_SHUTDOWN_GRACE))
  })
})

function chart() {
  return {name: 'prices', data: 'stream', spec: 'charts/price.vl.json', output: {png: 'charts/p.png'}}
}

/** Every field of the pipeline schema set to something other than its default. */
const FULL = {
  name: 'full',
  description: 'every field set',
  kafka: {
    brokers: 'kafka-1:9092,kafka-2:9092',
    topic: 'ticks',
    partitions: 6,
    replicationFactor: 3,
    clientId: 'full-client',
    groupId: 'full-group',
    fromBeginning: false,
    key: "exchange + ':' + symbol",
    deadLetterTopic: 'ticks.rejected',
    sourceStateTopic: 'full.checkpoints',
    client: 'platformatic',
    producerBuffer: {maxRecords: 500, whenFull: 'drop-oldest'},
  },
  shutdown: {grace: '1.5m'},
  metrics: {enabled: true, port: 0, host: '0.0.0.0', eventTime: ['timestamp']},
  dashboard: {alerts: {csv: 'out/alerts.csv'}},
  source: {type: 'replay', name: 'history', retry: {maxAttempts: 3, initialDelay: '200ms', maxDelay: 5}, worker: true},
  transforms: [{type: 'map', name: 'double', compute: {double: 'price_usd * 2'}}],
  sinks: [
    {type: 'csv', name: 'alerts', where: "record_type == 'alert'", retry: {maxAttempts: 0, maxDelay: '2m'}},
    {type: 'stdout'},
  ],
  charts: [
    {type: 'vega-lite', name: 'prices', data: {csv: 'out/prices.csv'}, every: '2.5s', spec: 'charts/p.vl.json'},
    {name: 'live', data: 'stream', every: 60, spec: 'charts/p.vl.json'},
  ],
}
