/**
 * Where `etl top` and `etl tap` find a running pipeline's endpoint: --url when given (with or without /metrics),
 * else the `metrics:` port and host of the pipeline file, else the default http://127.0.0.1:9464. A run started with
 * --metrics-port or --metrics-host elsewhere needs --url.
 */
import type {MetricsSettings} from './pipeline-metrics.js'

export const DEFAULT_METRICS_BASE = 'http://127.0.0.1:9464'

export function metricsBase(url: string | undefined, settings?: Pick<MetricsSettings, 'port' | 'host'>): string {
  if (url !== undefined) {
    const base = url.replace(/\/+$/, '').replace(/\/metrics$/, '')
    return /^https?:\/\//.test(base) ? base : `http://${base}`
  }
  if (!settings) return DEFAULT_METRICS_BASE
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${settings.port}`
}
