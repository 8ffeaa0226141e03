/**
 * The etl package that is running: its root folder (the one holding its package.json), its version and the version
 * ranges of its own development tools, which scaffolds reuse so a new plugin builds with what etl was built with.
 */
import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {EtlError} from '../errors.js'

export interface EtlPackage {
  /** Absolute path of the folder holding etl's package.json. */
  root: string
  version: string
  devDependencies: Record<string, string>
}

let cached: EtlPackage | undefined

/** Walks up from `start` to the first folder whose package.json is named "etl". */
export function findEtlRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as {name?: unknown}).name === 'etl') {
      return dir
    }
    if (dirname(dir) === dir) throw new EtlError('ETL_INTERNAL', `no package.json of etl above ${start}`)
  }
}

/** This etl (found from this module's own location, in dist/ or in src/ under tsx). */
export function etlPackage(): EtlPackage {
  if (cached) return cached
  const root = findEtlRoot(dirname(fileURLToPath(import.meta.url)))
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Partial<EtlPackage>
  cached = {root, version: String(manifest.version), devDependencies: {...manifest.devDependencies}}
  return cached
}

/** The npm spec scaffolds put for etl by default: this very install, by path. */
export function defaultEtlSpec(etl: EtlPackage = etlPackage()): string {
  return `file:${etl.root}`
}

/** The version range etl itself uses for a development tool (typescript, mocha…), read from its package.json. */
export function devDependencyRange(name: string, etl: EtlPackage = etlPackage()): string {
  const range = etl.devDependencies[name]
  if (!range) throw new EtlError('ETL_INTERNAL', `etl's package.json (${etl.root}) has no devDependency ${name}`)
  return range
}

/** Folder of the scaffold templates shipped with etl. */
export function templatesDir(etl: EtlPackage = etlPackage()): string {
  return join(etl.root, 'templates')
}
