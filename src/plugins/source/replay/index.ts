/**
 * Replays a CSV of price history (by default the bundled daily BTC/USD candles) as canonical price records, either as
 * fast as the topic accepts them or paced by the gaps between event timestamps. The file is streamed, never loaded
 * whole, so multi-gigabyte histories replay in constant memory. Every emit carries a checkpoint (the file's identity,
 * the loop pass and the last line consumed), so a restarted run continues right after the last row in the topic.
 */
import {definePlugin, EtlError} from '../../../sdk/index.js'
import {DEFAULT_PATH, type ReplayConfig} from './replay-config.js'
import {fileIdentity} from './replay-checkpoint.js'
import {missingColumns, openReplayFile, replayFileIssues} from './replay-file.js'
import {ReplaySource} from './replay-source.js'

export type {ReplayConfig} from './replay-config.js'

export default definePlugin<'source', ReplayConfig>({
  name: 'replay',
  kind: 'source',
  summary:
    'Replays a CSV of price history (default: bundled daily BTC/USD 2011–2025) as price records, optionally paced',
  configSchema: {
    type: 'object',
    description:
      'Streams a CSV file and emits one canonical price record per row: {symbol, price_<vs>, timestamp (ISO), ' +
      "coin_id, vs_currency, source: 'replay', …extraColumns}. Rows with an unparseable time or number are logged " +
      'with their line number, counted as rejected_row and skipped.',
    additionalProperties: false,
    properties: {
      path: {
        type: 'string',
        minLength: 1,
        description:
          'CSV file with a header row, relative to the working directory. The default ships with etl. `etl validate` ' +
          'checks that it can be read and has the configured columns.',
        default: DEFAULT_PATH,
        examples: [DEFAULT_PATH, 'data/btcusd-5m-2011.csv'],
      },
      symbol: {
        type: 'string',
        minLength: 1,
        description: 'Value of the symbol field.',
        default: 'BTC',
        examples: ['BTC'],
      },
      coinId: {
        type: 'string',
        minLength: 1,
        description: 'Value of the coin_id field.',
        default: 'bitcoin',
        examples: ['bitcoin'],
      },
      vsCurrency: {
        type: 'string',
        pattern: '^[A-Za-z0-9_]+$',
        description: 'Quote currency: names the price field (price_<vsCurrency>, lower case) and fills vs_currency.',
        default: 'usd',
        examples: ['usd', 'eur'],
      },
      timestampColumn: {
        type: 'string',
        minLength: 1,
        description: 'Column holding the event time.',
        default: 'unix_timestamp',
        examples: ['unix_timestamp', 'timestamp'],
      },
      timestampUnit: {
        type: 'string',
        enum: ['s', 'ms', 'iso'],
        description:
          'How timestampColumn is written: epoch seconds, epoch milliseconds, or ISO 8601 text (text without a zone, ' +
          'like "2011-08-18 00:00:00", is read as UTC).',
        default: 's',
        examples: ['s', 'iso'],
      },
      priceColumn: {
        type: 'string',
        minLength: 1,
        description: 'Column copied into price_<vsCurrency>.',
        default: 'close',
        examples: ['close', 'open'],
      },
      extraColumns: {
        type: 'array',
        items: {type: 'string', minLength: 1},
        uniqueItems: true,
        description:
          'Further columns copied into each record under their own names, as numbers (a row where one is not a ' +
          'number is rejected). They never overwrite the canonical fields.',
        default: ['open', 'high', 'low', 'volume'],
        examples: [['open', 'high', 'low', 'volume'], []],
      },
      speed: {
        type: 'number',
        minimum: 0,
        description:
          'Pace: 0 = as fast as the topic accepts; N = N× real time, following the gaps between event timestamps ' +
          '(1 = real time, 300 = five minutes per second, 86400 = one day per second).',
        default: 0,
        examples: [0, 86400, 300],
      },
      batchSize: {
        type: 'integer',
        minimum: 1,
        maximum: 100000,
        description: 'Most records handed to the topic at once (when paced, records that fall due together).',
        default: 500,
        examples: [500],
      },
      limit: {
        type: 'integer',
        minimum: 1,
        description: 'Stop after this many records in total (all loops together). Unset = no limit.',
        examples: [100],
      },
      loop: {
        type: 'integer',
        minimum: 0,
        description:
          'How many times to play the file (0 = endlessly, until stopped). Each repeat shifts timestamps forward by ' +
          "the file's span plus one step (the gap between its first two rows), so event time keeps increasing.",
        default: 1,
        examples: [1, 3, 0],
      },
    },
  },

  // As fast as Kafka takes records: with `worker: auto` its stage gets a thread of its own next to the process stage.
  isBulk: (config) => config.speed === 0,
  // Ends after its loops (0 = endlessly) or its limit.
  isFinite: (config) => config.loop > 0 || config.limit !== undefined,
  // One series per symbol: its records stay in order on one partition (unless the pipeline sets kafka.key).
  messageKey: () => 'symbol',

  validateConfig: (config, context) => replayFileIssues(config, context.resolvePath),

  async create(config, context) {
    const file = await openReplayFile(config, context.resolvePath)
    if ('issue' in file) throw new EtlError('ETL_CONFIG_INVALID', `replay: ${file.issue.message}`, {cause: file.cause})
    const missing = missingColumns(config, file.header).map(({column}) => `"${column}"`)
    if (missing.length > 0) {
      throw new EtlError(
        'ETL_CONFIG_INVALID',
        `replay: ${file.path} has no column ${missing.join(', ')} (its header: ${file.header.join(', ')})`,
      )
    }
    return new ReplaySource(config, context, file.path, await fileIdentity(file.path))
  },
})
