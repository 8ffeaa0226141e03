/**
 * Source: polls CoinGecko's /simple/price and emits one record per coin × currency, stamped with CoinGecko's own
 * `last_updated_at` (event time, not fetch time) so windows downstream line up with when the price was true.
 * CoinGecko caches prices (~60 s on Demo), so polls often repeat a price: those are skipped, not re-emitted.
 */
import {definePlugin, type PluginContext} from '../../../sdk/index.js'
import {CoinGeckoSource} from './coingecko-source.js'
import {configSchema, settings, type CoinGeckoConfig} from './settings.js'

function create(config: CoinGeckoConfig, context: PluginContext): CoinGeckoSource {
  const s = settings(config, process.env)
  context.registerSecret(s.apiKey)
  return new CoinGeckoSource(s, context)
}

export default definePlugin<'source', CoinGeckoConfig>({
  name: 'coingecko',
  kind: 'source',
  summary: 'Polls CoinGecko for coin prices (and market data) and emits one record per coin and currency.',
  secrets: ['apiKey'],
  // One series per coin: its records stay in order on one partition (unless the pipeline sets kafka.key).
  messageKey: () => 'symbol',
  configSchema,
  create,
})
