/**
 * What `etl validate` can tell about a csv sink's output file before anything runs: a file or folder that cannot be
 * written, and an existing header that contradicts the configured columns. Each check reports only what start-up
 * would fail on too, so a config that runs is never reported: nothing is created, and a header that start-up would
 * cut off (it lies past the file's recorded positions) is not compared.
 */
import {constants} from 'node:fs'
import {access, open, stat} from 'node:fs/promises'
import {dirname} from 'node:path'
import {messageOf, type ConfigIssue, type ValidateContext} from '../../../sdk/index.js'
import {headerMismatch, parseHeader, readFirstLine} from './csv-header.js'
import type {CsvSinkConfig} from './csv-sink.js'
import {recordedLength} from './positions-file.js'

/** The problems of the configured output file; none when `path` is not set (its default names the pipeline). */
export async function outputFileIssues(config: CsvSinkConfig, context: ValidateContext): Promise<ConfigIssue[]> {
  if (config.path === undefined) return []
  const path = context.resolvePath(config.path)
  const placement = await placementProblem(path)
  if (placement) return [{path: ['path'], message: placement}]
  const mismatch = await headerProblem(path, config)
  return mismatch ? [{path: ['columns'], message: mismatch}] : []
}

/** Why the file cannot be opened for appending (it, its lock and its positions file live in its folder). */
async function placementProblem(path: string): Promise<string | undefined> {
  const file = await stat(path).catch(() => undefined)
  if (file?.isDirectory()) return `${path} is a folder, not a file`
  if (file && !(await writable(path))) return `${path} cannot be written (no write permission)`
  return folderProblem(dirname(path))
}

/** Why the folder cannot be created or written in, or undefined. */
async function folderProblem(folder: string): Promise<string | undefined> {
  const existing = await nearestExisting(folder)
  if ('error' in existing) return `cannot create the folder ${folder}: ${messageOf(existing.error)}`
  if (!existing.isDirectory) return `cannot create the folder ${folder}: ${existing.path} is a file`
  if (await writable(existing.path)) return undefined
  return existing.path === folder
    ? `cannot write in the folder ${folder} (no write permission)`
    : `cannot create the folder ${folder}: ${existing.path} is not writable`
}

/** The folder itself or its closest ancestor that exists (an error other than "not there" stops the walk). */
async function nearestExisting(folder: string): Promise<{path: string; isDirectory: boolean} | {error: unknown}> {
  for (let current = folder; ; current = dirname(current)) {
    try {
      return {path: current, isDirectory: (await stat(current)).isDirectory()}
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // ENOTDIR: a file stands where a folder of the path should be; the walk up finds it.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(current) === current) return {error}
    }
  }
}

function writable(path: string): Promise<boolean> {
  return access(path, constants.W_OK).then(
    () => true,
    () => false,
  )
}

/** The header mismatch start-up would fail on: only with header on, columns set and a complete first line. */
async function headerProblem(path: string, config: CsvSinkConfig): Promise<string | undefined> {
  if (!config.header || !config.columns) return undefined
  const handle = await open(path, 'r').catch(() => undefined)
  if (!handle) return undefined
  try {
    const line = await readFirstLine(handle)
    if (line.end === undefined) return undefined
    // Start-up cuts the file back to its recorded length: a header past it is not the one the rows will follow.
    const recorded = await recordedLength(path)
    if (recorded !== undefined && recorded < line.end) return undefined
    const existing = parseHeader(line.text, config.delimiter)
    return existing && headerMismatch(path, existing, config.columns, config.delimiter)
  } finally {
    await handle.close()
  }
}
