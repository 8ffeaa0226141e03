/** What every request of the coingecko source carries (key header, user agent, a hint for auth failures). */
import {KEY_HEADER, type Settings} from './settings.js'

export interface ApiAccess {
  headers: Record<string, string>
  /** Appended to a 401/403's message: which key setting to look at. */
  authHint: string
}

export function apiAccess(s: Settings): ApiAccess {
  const headers: Record<string, string> = {'user-agent': 'etl (coingecko source)'}
  if (s.apiKey) headers[KEY_HEADER[s.plan]] = s.apiKey
  const other = s.plan === 'pro' ? 'demo' : 'pro'
  return {headers, authHint: `Set COINGECKO_API_KEY (or \`apiKey\`); a ${other} key also needs \`plan: ${other}\`.`}
}

/** /simple/price for every configured coin and currency, with the update time (and market data when asked for). */
export function simplePriceUrl(s: Settings): string {
  const query = [
    `ids=${s.coins.map(encodeURIComponent).join(',')}`,
    `vs_currencies=${s.vsCurrencies.join(',')}`,
    'include_last_updated_at=true',
    'precision=full',
    ...(s.includeMarketData ? ['include_market_cap=true', 'include_24hr_vol=true', 'include_24hr_change=true'] : []),
  ]
  return `${s.baseUrl}/simple/price?${query.join('&')}`
}
