import {durationSchema} from '../duration.js'
import type {KafkaClientName} from '../kafka/create-bus.js'
import type {PluginKind} from '../plugin-types.js'
import {defaultRetryPolicy, retryPolicySchema} from '../retry.js'

/**
 * The schema of a pipeline file: the single place its defaults are written. It is compiled with ajv `useDefaults`
 * (schema-problems.ts), so a validated document already holds every default stated here; normalize-pipeline.ts only
 * adds those that depend on other fields (etl-<name>, <topic>.dlq). pipeline-document.ts is its TypeScript view: a
 * field added here is added there too (test/runtime/config/pipeline-document.test.ts checks that they agree).
 */

/** The `worker` runtime key of the source entry (src/runtime/stages/source-worker.ts); plugin-docs.ts documents it. */
export const SOURCE_WORKER_SCHEMA = {
  oneOf: [{type: 'boolean'}, {const: 'auto'}],
  default: 'auto',
  description:
    'Run the source stage in a worker thread of `etl run`, so it and the process stage use two CPU cores instead of ' +
    'sharing one JS thread. `auto`: only for a source that says it runs flat out (a replay at `speed: 0`) and only ' +
    'when both stages run in this process. It pays off for such a source (see docs/BENCHMARKS.md) and costs memory, ' +
    'a second JS heap with the plugins and a Kafka client loaded again (about 40 MB of RSS); a live source that ' +
    'polls now and then gains nothing from it.',
  examples: ['auto', true, false],
} as const

/** Where rows come from: `stream` (the records leaving the transforms during `etl run`) or `{csv: <path>}`. */
const streamOrCsv = (example: string) => ({
  oneOf: [
    {const: 'stream'},
    {
      type: 'object',
      additionalProperties: false,
      required: ['csv'],
      properties: {csv: {type: 'string', minLength: 1}},
    },
  ],
  examples: ['stream', {csv: example}],
})

/** `shutdown.grace` when the file does not set it; exported for what must stop before the file is read. */
export const DEFAULT_SHUTDOWN_GRACE = '30s'

/**
 * A stage entry checked here only for the runtime's keys (`type`, `name`, `retry` on sources and sinks, `worker` on
 * the source, `when` on transforms, `where` on sinks); the rest of the entry is the plugin's config and is checked
 * against that plugin's schema (check-stages.ts).
 */
const stageEntry = (kind: string) => ({
  type: 'object',
  description: `A ${kind} plugin: \`type\` names the plugin, the other fields are its config (see \`etl plugins\`).`,
  required: ['type'],
  properties: {
    type: {type: 'string', minLength: 1, description: `Name of the ${kind} plugin.`},
    name: {type: 'string', minLength: 1, description: 'Label for logs and counters (defaults to the type).'},
    // A runtime key, not the plugin's: how this source's fetches or this sink's writes and flushes are retried.
    // `default: {}` lets ajv fill in each field's default, so an entry without `retry:` gets the kind's policy.
    ...(kind === 'transform' ? {} : {retry: {...retryPolicySchema(defaultRetryPolicy(kind)), default: {}}}),
    ...(kind === 'source' ? {worker: SOURCE_WORKER_SCHEMA} : {}),
  },
})

const sourceEntry = {
  ...stageEntry('source'),
  description:
    'Produces the records to kafka.topic. Without a source, the pipeline consumes kafka.topic as another pipeline ' +
    'or program fills it (e.g. candles a first pipeline produced with the kafka sink).',
}

const sinkEntry = {
  ...stageEntry('sink'),
  properties: {
    ...stageEntry('sink').properties,
    where: {
      type: 'string',
      minLength: 1,
      description:
        'Routes records: only those for which this expression is true reach this sink (same language as the ' +
        'filter transform), e.g. "record_type == \'alert\'" for a sink of alerts only.',
      examples: ["record_type == 'alert'", "record_type != 'alert'", "symbol == 'BTC'"],
    },
  },
}

const transformEntry = {
  ...stageEntry('transform'),
  properties: {
    ...stageEntry('transform').properties,
    when: {
      type: 'string',
      minLength: 1,
      description:
        'Applies the transform only to the records for which this expression is true; the others pass by it ' +
        'unchanged, ahead of its outputs (same language as the filter transform). E.g. "window_start != null" ' +
        "for a second ohlc that rolls the first one's candles up while the ticks pass on.",
      examples: ['window_start != null', "symbol == 'BTC'"],
    },
  },
}

const chartEntry = {
  type: 'object',
  description:
    'A chart plugin: `type` names it (default vega-lite), `data` says where its rows come from, `every` how often ' +
    "it is re-rendered; the other fields are the plugin's config (see `etl plugins --kind chart`).",
  required: ['name', 'data'],
  properties: {
    type: {type: 'string', minLength: 1, default: 'vega-lite', description: 'Name of the chart plugin.'},
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
      maxLength: 100,
      description: 'Chart name: labels logs and the live page.',
    },
    data: {
      description:
        "Where the chart's rows come from: `stream` = the records leaving the transforms during `etl run`; " +
        "`{csv: <path>}` = a CSV file (a sink's output), read incrementally as it grows — this is what `etl chart` " +
        'watches.',
      ...streamOrCsv('data/btc_prices.csv'),
    },
    every: durationSchema('Re-render at most this often, and only when rows arrived since the last render.', '10s'),
  },
}

/** The schema of one entry of each kind, as it sits under source:, transforms:, sinks: or charts:. */
export const ENTRY_SCHEMAS = {
  source: sourceEntry,
  transform: transformEntry,
  sink: sinkEntry,
  chart: chartEntry,
} as const satisfies Record<PluginKind, {properties: object}>

/** The keys of an entry of `kind` that belong to the runtime; the other keys are the plugin's config. */
export function runtimeKeys(kind: PluginKind): string[] {
  return Object.keys(ENTRY_SCHEMAS[kind].properties)
}

export const PIPELINE_SCHEMA = {
  $id: 'etl:pipeline',
  type: 'object',
  additionalProperties: false,
  required: ['sinks'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
      maxLength: 100,
      description:
        'Pipeline name: names the consumer group (etl-<name>) and the default CSV path. Defaults to the file name.',
    },
    description: {type: 'string', description: 'Free text.'},
    plugins: {
      type: 'array',
      description: 'Third-party plugin modules: paths (relative to this file) or npm package names.',
      items: {type: 'string', minLength: 1},
    },
    kafka: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        brokers: {
          description:
            'Bootstrap brokers, "host:port" or a list. ' +
            'Default: $KAFKA_BROKERS, else 127.0.0.1:9092 (the local broker).',
          oneOf: [
            {type: 'string', pattern: '^[^\\s,]+:\\d+(,[^\\s,]+:\\d+)*$'},
            {type: 'array', minItems: 1, items: {type: 'string', pattern: '^[^\\s,]+:\\d+$'}},
          ],
        },
        topic: {
          type: 'string',
          pattern: '^[A-Za-z0-9._-]{1,249}$',
          default: 'crypto_prices',
          description: 'Topic between the source stage and the process stage.',
        },
        partitions: {
          type: 'integer',
          minimum: 1,
          maximum: 1000,
          default: 3,
          description: 'Partitions when the topic is created.',
        },
        replicationFactor: {
          type: 'integer',
          minimum: 1,
          description:
            'Replication factor of every topic etl creates (input, outputs, dead letters, state). Default: min(3, ' +
            'the number of brokers the cluster has when the pipeline connects): 1 on a single broker, 3 on a cluster.',
        },
        clientId: {type: 'string', description: 'Kafka client id (default etl-<name>).'},
        groupId: {type: 'string', description: 'Consumer group of the process stage (default etl-<name>).'},
        fromBeginning: {
          type: 'boolean',
          default: true,
          description:
            'Where a new consumer group starts: true = oldest record, so nothing produced before it joined is lost.',
        },
        key: {
          type: 'string',
          minLength: 1,
          description:
            "What keys each record's message (and the dead letter of a record a plugin rejects): an expression " +
            'over the record, as in map and filter; its text or number is the key. Records of one key stay in order ' +
            'on one partition, so key by what your windows group by. Default: the key the source plugin declares ' +
            '(`etl plugins` shows it); a source that declares none leaves messages without a key.',
          examples: ['symbol', "exchange + ':' + symbol", '`device id`'],
        },
        deadLetterTopic: {type: 'string', description: 'Where undecodable records go (default <topic>.dlq).'},
        sourceStateTopic: {
          type: 'string',
          pattern: '^[A-Za-z0-9._-]{1,249}$',
          description:
            "Compacted topic holding each source's checkpoint, written in the same Kafka transaction as its records " +
            '(default <groupId>.source-state).',
        },
        client: {
          type: 'string',
          enum: ['kafkajs', 'platformatic'] satisfies KafkaClientName[],
          default: 'kafkajs',
          description:
            'Kafka client library: kafkajs = the default, long in use; platformatic = @platformatic/kafka, a newer ' +
            'and lighter client (`npm run bench -- --clients kafkajs,platformatic` compares them). Both give the ' +
            'same guarantees and put a key on the same partition, so a pipeline can switch between runs.',
        },
        producerBuffer: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description:
            'Records the source stage holds while Kafka does not take them (the broker is down): the source keeps ' +
            'polling into this buffer and it is delivered, in order, when the broker is back.',
          properties: {
            maxRecords: {
              type: 'integer',
              minimum: 1,
              maximum: 10_000_000,
              default: 10_000,
              description: 'Most records held.',
            },
            whenFull: {
              type: 'string',
              enum: ['block', 'drop-oldest'],
              default: 'block',
              description:
                'block = the source waits until there is room (nothing is lost); drop-oldest = the oldest held ' +
                'records are dropped to make room (counted as `dropped` and logged).',
            },
          },
        },
      },
    },
    shutdown: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How Ctrl-C / SIGTERM stop the pipeline: drain in-flight records, flush sinks, commit, exit 0.',
      properties: {
        grace: durationSchema(
          'Longest a clean stop may take; past it the run exits 1 with ETL_SHUTDOWN_TIMEOUT, naming what was still ' +
            'pending (offsets are never committed ahead of the sinks, so a restart redoes it). ' +
            '`etl run --grace` overrides it.',
          DEFAULT_SHUTDOWN_GRACE,
        ),
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description:
        'A Prometheus endpoint while the pipeline runs: /metrics (counts, consumer lag, durations), /healthz and ' +
        '/readyz. `etl run --metrics`, `--metrics-port`, `--metrics-host` override these.',
      properties: {
        enabled: {type: 'boolean', default: false, description: 'Serve the endpoint (`etl run --metrics`).'},
        port: {
          type: 'integer',
          minimum: 0,
          maximum: 65535,
          default: 9464,
          description: 'Port of the endpoint; 0 = any free port (the URL is logged).',
        },
        host: {
          type: 'string',
          minLength: 1,
          default: '127.0.0.1',
          description: 'Address the endpoint binds to; 0.0.0.0 lets other machines (a Prometheus server) scrape it.',
        },
        eventTime: {
          type: 'array',
          items: {type: 'string', minLength: 1},
          default: [],
          description:
            'Record fields that hold event time (ISO 8601 or epoch milliseconds): each record a sink writes is timed ' +
            'from the first of these fields it has to the write, as etl_event_latency_seconds. Empty: not measured.',
          examples: [['timestamp'], ['timestamp', 'window_end']],
        },
      },
    },
    source: ENTRY_SCHEMAS.source,
    sources: {
      type: 'array',
      minItems: 1,
      items: ENTRY_SCHEMAS.source,
      description:
        'Several sources instead of one `source:` (not both): they run side by side and write the same topic, each ' +
        'with its own checkpoint. Their labels (`name:`, else `type`) must be unique.',
    },
    transforms: {
      type: 'array',
      default: [],
      items: ENTRY_SCHEMAS.transform,
      description: 'Run in order on every batch.',
    },
    sinks: {
      type: 'array',
      minItems: 1,
      items: ENTRY_SCHEMAS.sink,
      description: 'Every record reaches every sink, unless the sink has a `where:` condition.',
    },
    charts: {
      type: 'array',
      default: [],
      items: ENTRY_SCHEMAS.chart,
      description: 'Charts re-rendered to PNG/SVG as data arrives.',
    },
    dashboard: {
      type: 'object',
      additionalProperties: false,
      description: 'What the live dashboard (`--serve`) shows besides the charts.',
      properties: {
        alerts: {
          description:
            'Where the alerts panel\'s records come from: `stream` = records with record_type "alert" leaving the ' +
            'transforms during `etl run`; `{csv: <path>}` = a CSV a sink appends alert records to (what `etl chart` ' +
            'follows).',
          ...streamOrCsv('data/btc_alerts.csv'),
        },
      },
    },
  },
} as const
