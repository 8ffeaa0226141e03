/**
 * Appends records to a CSV file. A re-run, or a second pipeline writing the same file, continues it under the header
 * it already has. Exactly-once in the process stage: each flush records, in `<file>.offsets.json`, the offsets whose
 * rows are in the file and the file's length (see positions-file.ts); at start-up bytes past that
 * length (rows of inputs that will be delivered again, or a torn last row) are cut off. With fsync on, flush() returns
 * only once rows and positions reached the disk, so this also holds across a power cut. One process writes a file at a
 * time (`<file>.lock`).
 */
import {definePlugin} from '../../../sdk/index.js'
import {CsvSink, type CsvSinkConfig} from './csv-sink.js'
import {outputFileIssues} from './output-file-checks.js'

export type {CsvSinkConfig} from './csv-sink.js'

export default definePlugin<'sink', CsvSinkConfig>({
  name: 'csv',
  kind: 'sink',
  summary: 'Appends records to a CSV file, exactly once (header once, fsync on flush)',
  configSchema: {
    type: 'object',
    description:
      'Appends one row per record. Columns a record lacks are written as empty cells; record fields that are not ' +
      'columns are ignored (each such field name is counted once as ignored_field and logged at debug level). ' +
      'Exactly-once: <path>.offsets.json records which input offsets the rows cover; after a crash the rows of ' +
      'inputs past them are cut off and written again, never twice. One process writes a file at a time (<path>.lock).',
    additionalProperties: false,
    properties: {
      path: {
        type: 'string',
        minLength: 1,
        description:
          'File to append to, relative to the working directory; folders are created. ' +
          'Default: data/<pipeline name>.csv.',
        examples: ['data/btc-prices.csv', '/var/lib/etl/prices.csv'],
      },
      columns: {
        type: 'array',
        items: {type: 'string', minLength: 1},
        minItems: 1,
        uniqueItems: true,
        description:
          "Columns in order. Default: the existing file's header when appending to a file that has one, else the " +
          'fields of the first record written. When set and the file already has a different header, start-up ' +
          'fails rather than mixing layouts in one file (etl validate reports it too when path is set).',
        examples: [['timestamp', 'symbol', 'price_usd']],
      },
      header: {
        type: 'boolean',
        description: 'Write a header row when the file is new or empty (never again when appending).',
        default: true,
        examples: [true, false],
      },
      delimiter: {
        type: 'string',
        minLength: 1,
        maxLength: 4,
        description: 'Cell separator.',
        default: ',',
        examples: [',', ';', '\t'],
      },
      neutralizeFormulas: {
        type: 'boolean',
        description:
          'Text cells a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return) get a ' +
          'leading \' so they show as text (CSV injection). Numbers, and text that is a plain number like "-5.2", ' +
          'stay as they are. Turn off only for files no spreadsheet opens.',
        default: true,
        examples: [true, false],
      },
      fsync: {
        type: 'boolean',
        description:
          'flush() waits until rows and positions are on disk (fdatasync), so rows whose offsets were committed ' +
          'survive a power cut. Off: still exactly-once when the process is killed, not when the machine loses power.',
        default: true,
        examples: [true, false],
      },
    },
    examples: [{path: 'data/btc-prices.csv', columns: ['timestamp', 'price_usd']}],
  },

  // Only what start-up would fail on too (output-file-checks.ts): a config that runs is never reported.
  validateConfig: outputFileIssues,

  create: (config, context) => CsvSink.open(config, context),
})
