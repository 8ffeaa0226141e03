/**
 * Writes a scaffold's files all or nothing: when any of them (or a folder on its way) is already there, nothing is
 * written and ETL_FILE_EXISTS lists every such path. Files are created exclusively, so a file that appears between
 * the check and the write is not overwritten either; what this call wrote before that is removed again.
 */
import {lstatSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {EtlError, messageOf} from '../errors.js'
import type {ScaffoldFile} from './render-template.js'

export interface Scaffolded {
  /** Absolute path of the folder written into. */
  dir: string
  /** Absolute paths of the files written, in order. */
  files: string[]
}

function occupied(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch (error) {
    // ENOTDIR: a file stands where a folder of the path should be, which blocks this file just as well.
    return (error as NodeJS.ErrnoException).code === 'ENOTDIR'
  }
}

/** Paths of `files` (as shown to the user: relative to the working directory) that would be overwritten. */
export function existingFiles(dir: string, files: ScaffoldFile[]): string[] {
  const root = resolve(dir)
  if (occupied(root) && !lstatSync(root).isDirectory()) return [shown(root)]
  return files
    .map((file) => join(root, file.path))
    .filter(occupied)
    .map(shown)
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel === '' || rel.startsWith('..') ? path : rel
}

function refuse(paths: string[]): EtlError {
  const list = paths.map((path) => `  ${path}`).join('\n')
  return new EtlError('ETL_FILE_EXISTS', `nothing was written: these files already exist:\n${list}`, {
    exitCode: 1,
    details: {files: paths},
  })
}

/** Writes every file under `dir` (created as needed); returns their absolute paths. */
export function writeFilesOnce(dir: string, files: ScaffoldFile[]): string[] {
  const existing = existingFiles(dir, files)
  if (existing.length > 0) throw refuse(existing)
  const written: string[] = []
  try {
    for (const file of files) {
      const path = join(resolve(dir), file.path)
      mkdirSync(dirname(path), {recursive: true})
      writeFileSync(path, file.content, {flag: 'wx'})
      written.push(path)
    }
  } catch (error) {
    for (const path of written) rmSync(path, {force: true})
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw refuse(existingFiles(dir, files))
    throw new EtlError(
      'ETL_FILE_WRITE',
      `nothing was written: cannot write into ${shown(resolve(dir))}: ${messageOf(error)}`,
      {
        cause: error,
      },
    )
  }
  return written
}
