/**
 * The websocket source's config: its JSON Schema (the single source for validation, `etl plugins` and docs) and the
 * settings derived from it, defaults applied once here.
 */
import {type Duration, durationSchema, parseDuration} from '../../../sdk/index.js'
import {mappingProperties, type MappingConfig} from '../../shared/json-mapping/mapping-schema.js'

export interface WebSocketConfig extends MappingConfig {
  url: string
  subscribe?: unknown[]
  key?: string
  stallTimeout?: Duration
  pingInterval?: Duration
  flushInterval?: Duration
}

export const configSchema = {
  type: 'object' as const,
  description:
    'Reads any JSON WebSocket feed: connects, sends the `subscribe` messages (again after every reconnect), and ' +
    'maps the items of each message to records. Reconnects with backoff and jitter (the stage’s `retry:`), and when ' +
    'the feed goes silent for `stallTimeout`. Messages sent while disconnected are not recovered.',
  additionalProperties: false,
  required: ['url', 'fields'],
  properties: {
    url: {
      type: 'string',
      pattern: '^wss?://',
      description: 'ws:// or wss:// URL of the feed.',
      examples: ['wss://stream.binance.com:9443/ws/btcusdt@trade', 'ws://127.0.0.1:8090'],
    },
    subscribe: {
      type: 'array',
      items: {anyOf: [{type: 'object'}, {type: 'string'}, {type: 'array'}]},
      description: 'Messages sent on every connect, in order: objects and arrays as JSON, strings as they are.',
      default: [],
      examples: [[{type: 'subscribe', product_ids: ['BTC-USD'], channels: ['matches', 'heartbeat']}]],
    },
    ...mappingProperties,
    key: {
      type: 'string',
      minLength: 1,
      description: 'Expression over a mapped record that keys its Kafka message (its series), e.g. `symbol`.',
      examples: ['symbol'],
    },
    stallTimeout: durationSchema(
      'No message for this long on an open connection → reconnect (feeds stall silently). 0: never.',
      '30s',
    ),
    pingInterval: durationSchema('Send a ping this often; no pong by the next one → reconnect. 0: never.', '0s'),
    flushInterval: durationSchema('Records are emitted at most this long after their message arrived.', '250ms'),
    // `retry:` (reconnect backoff) is the runtime's per-stage key: see context.retry.
  },
  examples: [
    {
      url: 'wss://stream.binance.com:9443/ws/btcusdt@trade',
      filter: "e == 'trade'",
      fields: {symbol: "'BTC'", price_usdt: 'number(p)', quantity: 'number(q)', trade_id: 't', timestamp: 'T'},
      key: 'symbol',
    },
  ],
}

export function settings(config: WebSocketConfig) {
  return {
    url: config.url,
    subscribe: config.subscribe ?? [],
    stallTimeoutMs: parseDuration(config.stallTimeout ?? '30s'),
    pingIntervalMs: parseDuration(config.pingInterval ?? '0s'),
    flushIntervalMs: parseDuration(config.flushInterval ?? '250ms'),
    mapping: {
      records: config.records,
      fields: config.fields,
      filter: config.filter,
      timestampUnit: config.timestampUnit,
    },
  }
}

export type WebSocketSettings = ReturnType<typeof settings>
