/**
 * pipeline-document.ts is the hand-written TypeScript view of PIPELINE_SCHEMA. Each list below must name every field
 * of its interface (or `tsc -p test` fails) and every property of its schema (or this test fails), so the two cannot
 * drift apart unnoticed.
 */
import {expect} from 'chai'
import type {
  ChartEntry,
  KafkaDocument,
  PipelineDocument,
  SinkEntry,
  SourceEntry,
  TransformEntry,
} from '../../../src/runtime/config/pipeline-document.js'
import {ENTRY_SCHEMAS, PIPELINE_SCHEMA, runtimeKeys} from '../../../src/runtime/config/pipeline-schema.js'
import {PLUGIN_KINDS, type PluginKind} from '../../../src/runtime/plugin-types.js'

/** The named fields of T, without its index signature (an entry's plugin fields). */
type NamedKeys<T> = keyof {[K in keyof T as string extends K ? never : number extends K ? never : K]: T[K]}
type Fields<T> = Record<NamedKeys<T>, true>

const pipelineFields: Fields<PipelineDocument> = {
  name: true,
  description: true,
  plugins: true,
  kafka: true,
  shutdown: true,
  metrics: true,
  source: true,
  sources: true,
  transforms: true,
  sinks: true,
  charts: true,
  dashboard: true,
}
const dashboardFields: Fields<NonNullable<PipelineDocument['dashboard']>> = {alerts: true}
const kafkaFields: Fields<KafkaDocument> = {
  brokers: true,
  topic: true,
  partitions: true,
  replicationFactor: true,
  clientId: true,
  groupId: true,
  fromBeginning: true,
  key: true,
  deadLetterTopic: true,
  sourceStateTopic: true,
  client: true,
  producerBuffer: true,
}
const producerBufferFields: Fields<KafkaDocument['producerBuffer']> = {maxRecords: true, whenFull: true}
const shutdownFields: Fields<PipelineDocument['shutdown']> = {grace: true}
const metricsFields: Fields<PipelineDocument['metrics']> = {enabled: true, port: true, host: true, eventTime: true}
const sourceFields: Fields<SourceEntry> = {type: true, name: true, retry: true, worker: true}
const transformFields: Fields<TransformEntry> = {type: true, name: true, when: true}
const sinkFields: Fields<SinkEntry> = {type: true, name: true, retry: true, where: true}
const chartFields: Fields<ChartEntry> = {type: true, name: true, data: true, every: true}

const keys = (object: object) => Object.keys(object).sort()

describe('the typed view of a pipeline file (pipeline-document.ts)', () => {
  it('names the same fields as the pipeline schema, level by level', () => {
    const {properties} = PIPELINE_SCHEMA
    expect(keys(pipelineFields)).to.deep.equal(keys(properties))
    expect(keys(kafkaFields)).to.deep.equal(keys(properties.kafka.properties))
    expect(keys(producerBufferFields)).to.deep.equal(keys(properties.kafka.properties.producerBuffer.properties))
    expect(keys(shutdownFields)).to.deep.equal(keys(properties.shutdown.properties))
    expect(keys(metricsFields)).to.deep.equal(keys(properties.metrics.properties))
    expect(keys(dashboardFields)).to.deep.equal(keys(properties.dashboard.properties))
  })

  it("names each kind's runtime keys of an entry, which are what its entry schema declares", () => {
    const expected: Record<PluginKind, object> = {
      source: sourceFields,
      transform: transformFields,
      sink: sinkFields,
      chart: chartFields,
    }
    for (const kind of PLUGIN_KINDS) {
      expect(keys(expected[kind]), kind).to.deep.equal(keys(ENTRY_SCHEMAS[kind].properties))
      expect(runtimeKeys(kind).sort(), kind).to.deep.equal(keys(expected[kind]))
    }
  })

  it('the pipeline schema uses the entry schemas', () => {
    const {properties} = PIPELINE_SCHEMA
    expect(properties.source).to.equal(ENTRY_SCHEMAS.source)
    expect(properties.transforms.items).to.equal(ENTRY_SCHEMAS.transform)
    expect(properties.sinks.items).to.equal(ENTRY_SCHEMAS.sink)
    expect(properties.charts.items).to.equal(ENTRY_SCHEMAS.chart)
  })
})
