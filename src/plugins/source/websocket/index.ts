/**
 * Source: any JSON WebSocket feed, mapped to records with expressions, so a new exchange's stream needs a pipeline
 * file, not code. Connection care (reconnect with backoff and jitter, resubscribe, stall watchdog) is the shared
 * WebSocket client's, the same one the binance and coinbase sources use.
 */
import {definePlugin, type PluginContext} from '../../../sdk/index.js'
import {mappingIssues} from '../../shared/json-mapping/mapping-schema.js'
import {configSchema, settings, type WebSocketConfig} from './websocket-config.js'
import {WebSocketSource} from './websocket-source.js'

export default definePlugin<'source', WebSocketConfig>({
  name: 'websocket',
  kind: 'source',
  summary: 'Reads any JSON WebSocket feed (subscribe messages, reconnects, stall watchdog) and maps it to records',
  messageKey: (config) => config.key,
  configSchema,
  validateConfig: (config) => mappingIssues(config),
  create: (config: WebSocketConfig, context: PluginContext) => new WebSocketSource(settings(config), context),
})
