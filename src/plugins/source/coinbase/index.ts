/**
 * Source: Coinbase Exchange (or Advanced Trade) trades in real time, each trade once and in order per product, with
 * the last trade id per product as the checkpoint in the records' Kafka transaction, so a restart resumes exactly
 * (back-filling the downtime from REST). Records have the house shape ohlc, vwap and the charts read.
 */
import {definePlugin, type PluginContext} from '../../../sdk/index.js'
import {configSchema, settings, type CoinbaseConfig} from './coinbase-config.js'
import {CoinbaseSource} from './coinbase-source.js'

function create(config: CoinbaseConfig, context: PluginContext): CoinbaseSource {
  return new CoinbaseSource(settings(config, process.env), context)
}

export default definePlugin<'source', CoinbaseConfig>({
  name: 'coinbase',
  kind: 'source',
  summary:
    'Coinbase Exchange or Advanced Trade trades (or tickers) over WebSocket, gaps back-filled from REST, each once',
  // One series per coin: its trades stay in order on one partition (unless the pipeline sets kafka.key).
  messageKey: () => 'symbol',
  configSchema,
  create,
})
