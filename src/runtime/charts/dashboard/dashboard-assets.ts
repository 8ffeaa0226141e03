/**
 * The files the dashboard page loads, all from etl's own package (no CDN: the page works offline): its script and
 * style from assets/dashboard/, and vega, vega-lite and vega-embed as the browser builds their packages ship. Only
 * names known here are served; nothing from the request reaches a file path.
 */
import {readdir, readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** assets/dashboard/ of the package (same relative place from src/ and dist/). */
const OWN_ASSETS = fileURLToPath(new URL('../../../../assets/dashboard/', import.meta.url))

/** Browser build of each library, next to the file its package's main export resolves to. */
const VENDOR: Record<string, {module: string; file: string}> = {
  'vega.min.js': {module: 'vega', file: 'vega.min.js'},
  'vega-lite.min.js': {module: 'vega-lite', file: 'vega-lite.min.js'},
  'vega-embed.min.js': {module: 'vega-embed', file: 'vega-embed.min.js'},
}

// require.resolve rather than import.meta.resolve: the same answer, and it works under every loader (tsx too).
const require = createRequire(import.meta.url)

export const VENDOR_SCRIPTS = Object.keys(VENDOR)

export interface Asset {
  body: Buffer
  type: string
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
}

export class DashboardAssets {
  private readonly cache = new Map<string, Promise<Asset | undefined>>()
  private own: Promise<Set<string>> | undefined

  /** `/assets/dashboard/<file>` or `/assets/vendor/<file>` → the file, or undefined for anything else. */
  get(path: string): Promise<Asset | undefined> {
    let found = this.cache.get(path)
    if (!found) {
      found = this.load(path)
      this.cache.set(path, found)
    }
    return found
  }

  private async load(path: string): Promise<Asset | undefined> {
    const match = /^\/assets\/(dashboard|vendor)\/([a-z0-9.-]+\.(js|css))$/.exec(path)
    if (!match) return undefined
    const [, folder, name, ext] = match
    const file = folder === 'vendor' ? vendorFile(name) : await this.ownFile(name)
    if (!file) return undefined
    return {body: await readFile(file), type: TYPES[ext]}
  }

  private async ownFile(name: string): Promise<string | undefined> {
    this.own ??= readdir(OWN_ASSETS).then((names) => new Set(names))
    return (await this.own).has(name) ? join(OWN_ASSETS, name) : undefined
  }
}

function vendorFile(name: string): string | undefined {
  const entry = Object.hasOwn(VENDOR, name) ? VENDOR[name] : undefined
  if (!entry) return undefined
  return join(dirname(require.resolve(entry.module)), entry.file)
}
