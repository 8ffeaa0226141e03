/**
 * `etl init`: a starter project (package.json, a pipeline of weekly BTC candles from etl's bundled history, its
 * pipeline tests, README, .gitignore) from templates/project, named after its folder.
 */
import {basename, join, resolve} from 'node:path'
import {defaultEtlSpec, etlPackage, templatesDir, type EtlPackage} from './etl-package.js'
import {packageNameProblems} from './package-name.js'
import {renderTemplateDir, type ScaffoldFile} from './render-template.js'
import {writeFilesOnce, type Scaffolded} from './write-files.js'

export interface StarterProjectOptions {
  /** Folder to write into (default: the working directory). */
  dir?: string
  /** npm spec of the etl dependency (default: this etl, by path). */
  etlSpec?: string
}

const FALLBACK_NAME = 'etl-project'

/**
 * A package name (which is also a valid pipeline name and topic prefix) made from a folder name: lower case, other
 * characters than a-z 0-9 . _ - as "-", no leading punctuation; etl-project when nothing usable is left.
 */
export function projectNameOf(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/[-.]+$/, '')
    .slice(0, 100)
  if (!name || name === 'etl' || packageNameProblems(name).length > 0) return FALLBACK_NAME
  return name
}

/** The files of the project, rendered (nothing is written). */
export function starterProjectFiles(
  options: StarterProjectOptions = {},
  etl: EtlPackage = etlPackage(),
): ScaffoldFile[] {
  const name = projectNameOf(options.dir ?? '.')
  const values = {packageName: name, pipelineName: name, etlSpec: options.etlSpec ?? defaultEtlSpec(etl)}
  const files = renderTemplateDir(join(templatesDir(etl), 'project'), values)
  return files.sort((a, b) => a.path.localeCompare(b.path))
}

/** Writes the project (all files or none: ETL_FILE_EXISTS when one is already there). */
export function createStarterProject(options: StarterProjectOptions = {}): Scaffolded {
  const dir = resolve(options.dir ?? '.')
  return {dir, files: writeFilesOnce(dir, starterProjectFiles({...options, dir}))}
}
