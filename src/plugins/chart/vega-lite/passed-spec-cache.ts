/**
 * Remembers which chart specs passed the whole check, so that validating an unchanged pipeline again (every
 * `etl validate`, `etl run` and `etl chart` validates first) does not start vega in a worker again. A spec passes
 * for good only under the same inputs, so the key covers all of them: the spec's text, the size and title the plugin
 * applies, the versions of Vega, Vega-Lite and ajv, and this plugin's own code. Only passes are kept: a failing spec is
 * always checked afresh, and its problems always come from the check itself.
 */
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, extname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {cacheDir} from '../../../sdk/index.js'
import type {SpecCheckRequest} from './spec-check-worker.js'

const CHECKING_PACKAGES = ['vega', 'vega-lite', 'ajv']

export class PassedSpecCache {
  private checkerIdentity?: string

  /** `dir` defaults to chart-spec-checks/ in etl's per-user cache ($ETL_CACHE_DIR, else ~/.cache/etl), read at use. */
  constructor(private readonly dir?: string) {}

  private get directory(): string {
    return this.dir ?? join(cacheDir(), 'chart-spec-checks')
  }

  has(request: SpecCheckRequest): boolean {
    try {
      return existsSync(join(this.directory, this.keyOf(request)))
    } catch {
      return false
    }
  }

  /** Best effort: a cache that cannot be written only means the next check runs in full. */
  remember(request: SpecCheckRequest): void {
    try {
      mkdirSync(this.directory, {recursive: true})
      writeFileSync(join(this.directory, this.keyOf(request)), '')
    } catch {
      // read-only or full disk: nothing to remember
    }
  }

  /** The label is left out: it only appears in problems, and a passed spec has none. */
  private keyOf({text, overrides}: SpecCheckRequest): string {
    this.checkerIdentity ??= checkerIdentity()
    const {width, height, title, seriesTitle} = overrides
    return createHash('sha256')
      .update(JSON.stringify([this.checkerIdentity, width, height, title ?? null, seriesTitle ?? null, text]))
      .digest('hex')
  }
}

/** What decides whether a spec passes, besides the spec and its overrides: the packages' versions and this code. */
function checkerIdentity(): string {
  const hash = createHash('sha256')
  const require = createRequire(import.meta.url)
  for (const name of CHECKING_PACKAGES) hash.update(`${name}@${packageVersion(require, name)}\0`)
  // Every module of this plugin (.js in dist/, .ts in src/); the Vega-Lite version covers the generated validator.
  const here = fileURLToPath(import.meta.url)
  const dir = dirname(here)
  for (const file of readdirSync(dir)
    .filter((name) => extname(name) === extname(here))
    .sort()) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(dir, file)))
      .update('\0')
  }
  return hash.digest('hex')
}

/** The version in the package.json of installed package `name` (found above its entry point; not all export it). */
function packageVersion(require: NodeJS.Require, name: string): string {
  let dir = dirname(require.resolve(name))
  for (;;) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as {name?: string; version?: string}
      if (manifest.name === name) return String(manifest.version)
    }
    const parent = dirname(dir)
    if (parent === dir) return 'unknown'
    dir = parent
  }
}
