/**
 * The postgres sink's config: its JSON Schema (the single source for validation, defaults, `etl plugins` and the
 * docs), the checks a schema cannot express, and the one place raw config becomes the settings the sink runs on.
 */
import {durationSchema, parseDuration, type ConfigIssue, type ConfigSchema, type Duration} from '../../../sdk/index.js'
import {COLUMN_TYPES, columnType, TYPE_ALIASES, type Column} from './column-types.js'
import {parseTableName, type TableName} from './sql-text.js'

export interface PostgresSinkConfig {
  url?: string
  host?: string
  port?: number
  user?: string
  database?: string
  passwordEnv: string
  table: string
  columns?: Record<string, string>
  mode: 'insert' | 'upsert'
  key?: string[]
  createTable: boolean
  batchSize: number
  offsetsTable: string
  connectTimeout: Duration
}

/** The config, normalised once: parsed names, canonical types, durations in ms. */
export interface PostgresSettings {
  table: TableName
  offsetsTable: TableName
  /** Undefined: adopted from the existing table, else inferred from the first record. */
  columns?: Column[]
  mode: 'insert' | 'upsert'
  key: string[]
  createTable: boolean
  batchSize: number
  connectTimeoutMs: number
}

const CONNECTION_FIELDS = ['host', 'port', 'user', 'database'] as const

export const postgresConfigSchema: ConfigSchema = {
  type: 'object',
  description:
    'Writes records as rows of a PostgreSQL table, exactly once: each flush is one transaction holding the rows and ' +
    'the consumed offsets (table etl_offsets, per consumer group, table, topic and partition), so a replay after a ' +
    'crash, or several `--stage process` workers writing one table, never duplicates a row. A value that cannot go ' +
    'into its column (text in a numeric column, NaN) sends its record to the dead-letter topic; the rest goes in.',
  additionalProperties: false,
  required: ['table'],
  properties: {
    url: {
      type: 'string',
      minLength: 1,
      description:
        'Connection string (postgres://user[:password]@host:port/database). A secret: redacted in logs and errors. ' +
        'Or give host, port, user and database; unset fields fall back to libpq variables (PGHOST, PGUSER…).',
      examples: ['postgres://etl@127.0.0.1:5432/prices', '${DATABASE_URL}'],
    },
    host: {type: 'string', minLength: 1, description: 'Server host (without url).', examples: ['127.0.0.1']},
    port: {type: 'integer', minimum: 1, maximum: 65535, description: 'Server port (without url).', examples: [5432]},
    user: {type: 'string', minLength: 1, description: 'User name (without url).', examples: ['etl']},
    database: {type: 'string', minLength: 1, description: 'Database name (without url).', examples: ['prices']},
    passwordEnv: {
      type: 'string',
      minLength: 1,
      description:
        'Environment variable holding the password, used when the url has none. Never written in the file; ' +
        'redacted in logs and errors.',
      default: 'PGPASSWORD',
      examples: ['PGPASSWORD', 'PRICES_DB_PASSWORD'],
    },
    table: {
      type: 'string',
      minLength: 1,
      description: 'Table to write, optionally schema-qualified; names are used as written (quoted).',
      examples: ['ticks', 'analytics.candles_1m'],
    },
    columns: {
      type: 'object',
      minProperties: 1,
      additionalProperties: {enum: [...COLUMN_TYPES, ...Object.keys(TYPE_ALIASES)]},
      description:
        'Column name → type, in table order; a record field of the same name fills each (missing fields: NULL; ' +
        'other fields are ignored and counted as ignored_field). Default: the existing table’s columns, else the ' +
        'first record’s fields with inferred types (number → double precision, ISO time → timestamptz, text, ' +
        'boolean, object → jsonb), then fixed. An existing table must have these columns with these types.',
      examples: [{symbol: 'text', price_usd: 'double precision', timestamp: 'timestamptz'}],
    },
    mode: {
      enum: ['insert', 'upsert'],
      description:
        'insert appends rows; upsert writes INSERT … ON CONFLICT (key) DO UPDATE, so a row with the key of an ' +
        'existing one replaces it in place (e.g. `emit: update` candles keyed by symbol and window_start).',
      default: 'insert',
      examples: ['insert', 'upsert'],
    },
    key: {
      type: 'array',
      items: {type: 'string', minLength: 1},
      minItems: 1,
      uniqueItems: true,
      description:
        'Key columns: required for upsert (the primary key of a table the sink creates; an existing table needs a ' +
        'unique index on exactly these). With insert, the primary key of a created table.',
      examples: [['symbol', 'window_start']],
    },
    createTable: {
      type: 'boolean',
      description:
        'Create the table (and etl_offsets) when missing. Off: a missing table stops the run (ETL_SINK_SCHEMA).',
      default: true,
      examples: [true, false],
    },
    batchSize: {
      type: 'integer',
      minimum: 1,
      maximum: 100000,
      description:
        'Rows per INSERT statement (upsert mode, and insert mode when a row is refused); insert mode loads a ' +
        'flush as one COPY otherwise. A flush sends as many as its batch needs, in one transaction.',
      default: 5000,
      examples: [5000, 1000],
    },
    offsetsTable: {
      type: 'string',
      minLength: 1,
      description: 'Table of the consumed positions; unqualified, it lives in the schema of `table`.',
      default: 'etl_offsets',
      examples: ['etl_offsets', 'etl.offsets'],
    },
    connectTimeout: durationSchema('How long a connection attempt may take before it counts as failed.', '10s'),
  },
  examples: [
    {url: '${DATABASE_URL}', table: 'ticks', columns: {symbol: 'text', price_usd: 'double precision'}},
    {host: '127.0.0.1', database: 'prices', table: 'candles', mode: 'upsert', key: ['symbol', 'window_start']},
  ],
}

/** What the schema cannot say: upsert needs a key, key columns are columns, names parse, one way to connect. */
export function postgresConfigIssues(config: PostgresSinkConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  if (config.mode === 'upsert' && !config.key) issues.push({path: ['key'], message: 'upsert needs key (its columns)'})
  const columns = config.columns && Object.keys(config.columns)
  for (const [index, name] of (config.key ?? []).entries()) {
    if (columns && !columns.includes(name)) {
      issues.push({path: ['key', index], message: `"${name}" is not one of columns (${columns.join(', ')})`})
    }
  }
  for (const field of ['table', 'offsetsTable'] as const) {
    if (!parseTableName(config[field])) {
      issues.push({path: [field], message: `"${config[field]}" is not a table name (name or schema.name)`})
    }
  }
  const both = CONNECTION_FIELDS.filter((field) => config[field] !== undefined)
  if (config.url !== undefined && both.length > 0) {
    issues.push({path: [both[0]], message: `give either url or ${CONNECTION_FIELDS.join('/')}, not both`})
  }
  return issues
}

/** The settings the sink runs on (the config passed validation). */
export function postgresSettings(config: PostgresSinkConfig): PostgresSettings {
  const table = parseTableName(config.table)!
  const offsets = parseTableName(config.offsetsTable)!
  return {
    table,
    offsetsTable: {schema: offsets.schema ?? table.schema, name: offsets.name},
    columns: config.columns && Object.entries(config.columns).map(([name, type]) => ({name, type: columnType(type)!})),
    mode: config.mode,
    key: config.key ?? [],
    createTable: config.createTable,
    batchSize: config.batchSize,
    connectTimeoutMs: parseDuration(config.connectTimeout),
  }
}
