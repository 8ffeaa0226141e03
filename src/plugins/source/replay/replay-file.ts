/**
 * The file a replay reads and the columns its config needs from it: checked by validateConfig, so `etl validate`
 * reports a missing file or column at its place in the pipeline file, and again by create (the file may have changed
 * since, and plugins can be created without validation).
 */
import {access} from 'node:fs/promises'
import {basename} from 'node:path'
import {fileURLToPath} from 'node:url'
import {messageOf, type ConfigIssue} from '../../../sdk/index.js'
import {readCsvHeader} from './csv-rows.js'
import {DEFAULT_PATH, type ReplayConfig} from './replay-config.js'

/** The data/ folder shipped in the package (same relative place from src/ and dist/). */
const BUNDLED_DATA = new URL('../../../../data/', import.meta.url)

export interface ReplayFile {
  path: string
  header: string[]
}

/** Why the file cannot be replayed: the problem at its config path, and the error behind it if any. */
export interface ReplayFileProblem {
  issue: ConfigIssue
  cause?: unknown
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/** The file to read: as configured, or the packaged copy when the default is used outside the project folder. */
async function locate(config: ReplayConfig, resolvePath: (path: string) => string): Promise<string | ConfigIssue> {
  const resolved = resolvePath(config.path)
  if (await exists(resolved)) return resolved
  const bundled = fileURLToPath(new URL(basename(DEFAULT_PATH), BUNDLED_DATA))
  if (config.path === DEFAULT_PATH && (await exists(bundled))) return bundled
  return {path: ['path'], message: `path "${config.path}" (${resolved}) does not exist or is unreadable`}
}

/** The file and its header row, or why it cannot be read. */
export async function openReplayFile(
  config: ReplayConfig,
  resolvePath: (path: string) => string,
): Promise<ReplayFile | ReplayFileProblem> {
  const path = await locate(config, resolvePath)
  if (typeof path !== 'string') return {issue: path}
  try {
    return {path, header: await readCsvHeader(path)}
  } catch (error) {
    return {issue: {path: ['path'], message: `cannot read ${path}: ${messageOf(error)}`}, cause: error}
  }
}

/** The columns the config names that the header lacks, each with the config path that names it. */
export function missingColumns(config: ReplayConfig, header: string[]): {column: string; path: (string | number)[]}[] {
  const needed = [
    {column: config.timestampColumn, path: ['timestampColumn']},
    {column: config.priceColumn, path: ['priceColumn']},
    ...config.extraColumns.map((column, index) => ({column, path: ['extraColumns', index]})),
  ]
  return needed.filter(({column}) => !header.includes(column))
}

/** Every problem `etl validate` reports for the file: it cannot be read, or lacks columns the config names. */
export async function replayFileIssues(
  config: ReplayConfig,
  resolvePath: (path: string) => string,
): Promise<ConfigIssue[]> {
  const file = await openReplayFile(config, resolvePath)
  if ('issue' in file) return [file.issue]
  return missingColumns(config, file.header).map(({column, path}) => ({
    path,
    message: `${file.path} has no column "${column}" (its header: ${file.header.join(', ')})`,
  }))
}
