/** A fresh working folder for an e2e test that runs the real CLI on a replay of the bundled price history. */
import {readFileSync, writeFileSync} from 'node:fs'
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {uniqueName} from './kafka-test-utils.js'

export interface CliWorkspace {
  cwd: string
  /** The test's environment: its own state folder, colours off, no log level or format a developer may have set. */
  env: NodeJS.ProcessEnv
  topic: string
  group: string
}

/** A temp folder holding `rows.csv`, the first `rows` rows of `history` (header kept); unique topic and group names. */
export async function createCliWorkspace(name: string, history: string, rows: number): Promise<CliWorkspace> {
  const cwd = await mkdtemp(join(tmpdir(), `etl-e2e-${name}-`))
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ETL_STATE_DIR: join(cwd, '.etl')}
  delete env.ETL_DEBUG
  delete env.ETL_LOG_LEVEL
  delete env.ETL_LOG_FORMAT
  const lines = readFileSync(history, 'utf8').trim().split('\n')
  writeFileSync(join(cwd, 'rows.csv'), lines.slice(0, rows + 1).join('\n') + '\n')
  return {cwd, env, topic: uniqueName(`etl-e2e-${name}`), group: uniqueName(`etl-e2e-${name}-group`)}
}
