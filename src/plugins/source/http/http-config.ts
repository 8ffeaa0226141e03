/**
 * The http source's config: its JSON Schema (the single source for validation, `etl plugins` and docs) and the
 * settings derived from it, defaults applied once here.
 */
import {type Duration, durationSchema, EtlError, parseDuration} from '../../../sdk/index.js'
import {mappingProperties, type MappingConfig} from '../../shared/json-mapping/mapping-schema.js'

export interface HttpConfig extends MappingConfig {
  url: string
  headers?: Record<string, string>
  interval?: Duration
  timeout?: Duration
  key?: string
  conditional?: boolean
}

export const configSchema = {
  type: 'object' as const,
  description:
    'Polls any JSON API over HTTP(S) GET on a fixed grid and emits one record per item. Put secrets in `headers` ' +
    'via ${ENV} (redacted in logs); `${VAR}` in `url` is the pipeline file’s own environment interpolation.',
  additionalProperties: false,
  required: ['url', 'fields'],
  properties: {
    url: {
      type: 'string',
      pattern: '^https?://',
      description: 'The URL to GET. Query parameters named like key/token/secret are masked in logs.',
      examples: ['https://api.example.com/v1/prices?ids=bitcoin', 'http://127.0.0.1:8089/prices'],
    },
    headers: {
      type: 'object',
      additionalProperties: {type: 'string'},
      description: 'Request headers; their values are secrets (never logged). Use ${ENV} for keys.',
      examples: [{authorization: 'Bearer ${API_TOKEN}'}],
    },
    interval: durationSchema('Time between polls, on a fixed grid so slow answers do not drift it.', '60s'),
    timeout: durationSchema('Limit for one HTTP request, body included.', '10s'),
    ...mappingProperties,
    key: {
      type: 'string',
      minLength: 1,
      description:
        'Expression over a mapped record naming its series (e.g. `symbol`): only records whose fields (timestamp ' +
        'aside) differ from the last one emitted for that key are emitted, across restarts too. Also keys the ' +
        'Kafka messages. Without it every item of every changed answer is emitted.',
      examples: ['symbol', "symbol + '/' + currency"],
    },
    conditional: {
      type: 'boolean',
      description:
        'Send If-None-Match / If-Modified-Since from the last answer’s ETag / Last-Modified; a 304 means nothing new.',
      default: true,
      examples: [true, false],
    },
    // `retry:` (429, 5xx, network, timeout, bad body) is the runtime's per-stage key: see context.retry.
  },
  examples: [
    {
      url: 'https://api.coingecko.com/api/v3/simple/price?ids=bitcoin&vs_currencies=usd&include_last_updated_at=true',
      records: '$',
      fields: {symbol: "'BTC'", price_usd: '`bitcoin.usd`', timestamp: '`bitcoin.last_updated_at`'},
      timestampUnit: 's',
      key: 'symbol',
      interval: '60s',
    },
  ],
}

export function settings(config: HttpConfig) {
  const intervalMs = parseDuration(config.interval ?? '60s')
  if (intervalMs <= 0) throw new EtlError('ETL_CONFIG_INVALID', 'http: interval must be greater than zero')
  return {
    url: config.url,
    headers: {'user-agent': 'etl (http source)', ...config.headers} as Record<string, string>,
    intervalMs,
    timeoutMs: parseDuration(config.timeout ?? '10s'),
    key: config.key,
    conditional: config.conditional ?? true,
    mapping: {
      records: config.records,
      fields: config.fields,
      filter: config.filter,
      timestampUnit: config.timestampUnit,
    },
  }
}

export type HttpSettings = ReturnType<typeof settings>
