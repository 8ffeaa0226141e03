/**
 * Source: Binance Spot market streams (trade, aggTrade, kline_<interval>, miniTicker) for a list of pairs over one
 * combined-stream WebSocket, in the house record shape (symbol, price_<quote>, timestamp) so ohlc, vwap and the
 * charts work unchanged. Trades are deduplicated by id and their gaps back-filled from REST; the last id per pair is
 * the checkpoint, committed with the records, so a restart resumes exactly.
 */
import {definePlugin, type PluginContext} from '../../../sdk/index.js'
import {BinanceSource} from './binance-source.js'
import {configIssues, configSchema, settings, type BinanceConfig} from './settings.js'

function create(config: BinanceConfig, context: PluginContext): BinanceSource {
  return new BinanceSource(settings(config, process.env), context)
}

export default definePlugin<'source', BinanceConfig>({
  name: 'binance',
  kind: 'source',
  summary: 'Streams Binance Spot trades, candles or mini-tickers over WebSocket, deduplicated, gaps back-filled.',
  // One series per coin: its trades stay in order on one partition (unless the pipeline sets kafka.key).
  messageKey: () => 'symbol',
  configSchema,
  validateConfig: (config) => configIssues(config),
  create,
})
