/**
 * Writes records into a data lake: Parquet files under a root folder, Hive-partitioned by fields you name
 * (`date=2026-12-01/symbol=BTC/part-….parquet`), rolled by row count, size and age. Exactly-once in the process stage
 * through a write-ahead spool in `<root>/_etl/` (see parquet-sink.ts): a file appears only complete, by rename, and
 * the state file records which input offsets the lake holds, so a restart neither loses nor repeats rows.
 */
import {definePlugin, durationSchema} from '../../../sdk/index.js'
import {COLUMN_TYPES} from './column-types.js'
import {COMPRESSIONS, settingsProblems, type ParquetSinkConfig} from './parquet-config.js'
import {ParquetSink} from './parquet-sink.js'
import {TIME_FORMATS} from './partition-path.js'

export type {ParquetSinkConfig} from './parquet-config.js'

const NAME = {type: 'string', minLength: 1, maxLength: 200, pattern: '^[^/\\\\\\u0000=]+$'}
const UNITS = ['millis', 'micros']

export default definePlugin<'sink', ParquetSinkConfig>({
  name: 'parquet',
  kind: 'sink',
  summary: 'Writes records as Hive-partitioned Parquet files (a data lake), exactly once',
  configSchema: {
    type: 'object',
    description:
      'Writes one row per record into Parquet files under path, one folder level per partitionBy entry ' +
      '(Hive style: key=value). Files appear complete or not at all (written under _etl/tmp, then renamed) and are ' +
      'rolled when roll.maxRows, roll.maxBytes or roll.maxAge is reached, and at the end of a run. Between rolls ' +
      'each flush makes the rows durable in a write-ahead spool (<path>/_etl/spool.jsonl) and records the input ' +
      'offsets they cover in <path>/_etl/state.json: after a crash nothing is lost or written twice. ' +
      "Read the lake with e.g. DuckDB: SELECT * FROM read_parquet('<path>/**/*.parquet', " +
      'hive_partitioning = true). A record whose value ' +
      'does not fit its column is dead-lettered (ETL_RECORD_INVALID). One process writes a lake at a time.',
    additionalProperties: false,
    properties: {
      path: {
        type: 'string',
        minLength: 1,
        description: 'Root folder of the lake, relative to the working directory. Default: data/<pipeline name>-lake.',
        examples: ['data/lake/prices', '/var/lib/etl/lake'],
      },
      columns: {
        type: 'array',
        minItems: 1,
        description:
          'Columns in order, with their Parquet types: string, double, int64, boolean, timestamp (UTC; from ISO ' +
          '8601 strings or epoch milliseconds; unit millis or micros). Default: the fields of the first record ' +
          'written, numbers as double, ISO date-time strings as timestamp, the rest as string; then kept for the ' +
          "lake's life (recorded in _etl/state.json). Record fields that are not columns are ignored (counted once " +
          'each as ignored_field); a missing field is a null.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'type'],
          properties: {
            name: {type: 'string', minLength: 1},
            type: {enum: [...COLUMN_TYPES]},
            unit: {enum: UNITS, description: 'Timestamps only; default: timestampUnit.'},
          },
        },
        examples: [
          [
            {name: 'timestamp', type: 'timestamp'},
            {name: 'symbol', type: 'string'},
            {name: 'price_usd', type: 'double'},
          ],
        ],
      },
      partitionBy: {
        type: 'array',
        description:
          'Partition folders, outermost first: a field name (its value is the folder, the field stays a column ' +
          'too), or {field, as, format} to derive the folder from a time field: format year, month, day or hour ' +
          '(UTC), as the key name (default: the field). Values are percent-encoded into one safe folder name ' +
          '(/ becomes %2F); a missing value goes to __HIVE_DEFAULT_PARTITION__; a time field that holds no time ' +
          'dead-letters the record.',
        items: {
          anyOf: [
            NAME,
            {
              type: 'object',
              additionalProperties: false,
              required: ['field'],
              properties: {field: {type: 'string', minLength: 1}, as: NAME, format: {enum: [...TIME_FORMATS]}},
            },
          ],
        },
        default: [],
        examples: [[{field: 'timestamp', as: 'date', format: 'day'}, 'symbol']],
      },
      roll: {
        type: 'object',
        additionalProperties: false,
        description:
          'When the spooled rows become Parquet files (one per partition folder): whichever limit is reached first, ' +
          'checked at each flush (the age also between flushes), and always when the run ends.',
        properties: {
          maxRows: {type: 'integer', minimum: 1, default: 100_000, description: 'Rows spooled.'},
          maxBytes: {
            type: 'integer',
            minimum: 1024,
            default: 64 * 1024 * 1024,
            description: 'Bytes spooled (JSON text; the Parquet files come out several times smaller).',
          },
          maxAge: durationSchema('Age of the oldest spooled row; 0: no age limit.', '5m'),
        },
        default: {},
      },
      compression: {enum: [...COMPRESSIONS], default: 'snappy', description: 'Parquet page compression.'},
      timestampUnit: {enum: UNITS, default: 'millis', description: 'Unit of timestamp columns without their own.'},
      fsync: {
        type: 'boolean',
        default: true,
        description:
          'flush() and rolls wait until data and state are on disk (fsync), so rows whose offsets were committed ' +
          'survive a power cut. Off: still exactly-once when the process is killed, not when the machine loses power.',
      },
    },
    examples: [{path: 'data/lake/prices', partitionBy: [{field: 'timestamp', as: 'date', format: 'day'}, 'symbol']}],
  },

  validateConfig: (config) => settingsProblems(config),

  create: (config, context) => ParquetSink.open(config, context),
})
