/** Where etl keeps things: per-project state (broker data, sink offsets) and a per-user cache (downloaded jars). */
import {homedir} from 'node:os'
import {join, resolve} from 'node:path'

/** Per-project state folder: $ETL_STATE_DIR, else ./.etl in the working directory. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.ETL_STATE_DIR || join(process.cwd(), '.etl'))
}

/** Per-user cache shared by all projects: $ETL_CACHE_DIR, else $XDG_CACHE_HOME/etl, else ~/.cache/etl. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ETL_CACHE_DIR) return resolve(env.ETL_CACHE_DIR)
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'etl')
}

export const DEFAULT_BROKER = '127.0.0.1:9092'
