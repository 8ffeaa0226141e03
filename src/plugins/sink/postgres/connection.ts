/**
 * The sink's connections: a small pg Pool built from the url or the separate fields, with the password from the url
 * or from the environment variable passwordEnv names (registered as a secret, so no log line or error shows it). A
 * pool, not one client: a connection the server dropped (restart, failover) is replaced on the next flush without
 * the sink tracking it.
 */
import pg from 'pg'
import type {PluginContext} from '../../../sdk/index.js'
import type {PostgresSinkConfig} from './postgres-config.js'

/** Flush and positions() each take one; the pool never needs more. */
const POOL_SIZE = 2

/** The password the sink will use, registered as a secret: the url's own, else the environment variable's. */
export function passwordOf(config: PostgresSinkConfig, context: PluginContext): string | undefined {
  const fromUrl = config.url ? urlPassword(config.url) : undefined
  const password = fromUrl || process.env[config.passwordEnv] || undefined
  context.registerSecret(password)
  return password
}

function urlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password
    return password ? decodeURIComponent(password) : undefined
  } catch {
    return undefined
  }
}

/**
 * The url with the password in it: pg lets a connection string's (empty) password win over a separate one, so a
 * password from the environment has to travel inside the url.
 */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url
  try {
    const parsed = new URL(url)
    if (parsed.password) return url
    parsed.password = encodeURIComponent(password)
    return parsed.toString()
  } catch {
    return url
  }
}

/** The pool; its idle-connection errors (the server went away between flushes) are logged, never thrown. */
export function createPool(config: PostgresSinkConfig, context: PluginContext, connectTimeoutMs: number): pg.Pool {
  const password = passwordOf(config, context)
  const pool = new pg.Pool({
    ...(config.url ? {connectionString: withPassword(config.url, password)} : {}),
    host: config.host,
    port: config.port,
    user: config.user,
    database: config.database,
    ...(password === undefined || config.url ? {} : {password}),
    max: POOL_SIZE,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: `etl ${context.pipelineName}`.slice(0, 63),
  })
  pool.on('error', (error) => context.logger.warn(`postgres: an idle connection failed: ${error.message}`))
  return pool
}

/** Where the pool connects, for log lines: never the password. */
export function describeServer(config: PostgresSinkConfig): string {
  if (config.url) {
    try {
      const url = new URL(config.url)
      return `${url.hostname}:${url.port || 5432}${url.pathname}`
    } catch {
      return '(the configured url)'
    }
  }
  return `${config.host ?? process.env.PGHOST ?? 'localhost'}:${config.port ?? 5432}/${config.database ?? ''}`
}
