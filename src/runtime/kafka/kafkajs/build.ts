/**
 * Which kafkajs this etl runs, and whether it carries etl's patch (patches/kafkajs+2.2.4.patch: requests
 * byte-identical to kafkajs' own, faster hot paths, and three fixes: a send retried after a leader change resends only
 * what no broker took, a transaction's first AddPartitionsToTxn after a commit is retried 1 ms later and doubling up
 * to 20 ms, and a group consumer's commits and heartbeats follow the group to its new coordinator when the old one
 * dies). Every test and benchmark measured the patched code. The published package bundles the patched copy, so an
 * install runs it too; a kafkajs without the patch still works, more slowly and without the fixes, and is said so.
 */
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname} from 'node:path'
import type {Logger} from '../../logger.js'

export interface KafkajsBuild {
  version: string
  /** Folder of the kafkajs package that `import 'kafkajs'` loads from here. */
  path: string
  patched: boolean
}

let cached: KafkajsBuild | undefined

export function kafkajsBuild(): KafkajsBuild {
  if (cached) return cached
  const require = createRequire(import.meta.url)
  const path = dirname(require.resolve('kafkajs/package.json'))
  const {version} = JSON.parse(readFileSync(`${path}/package.json`, 'utf8')) as {version: string}
  // A method the patch adds to kafkajs' Decoder: fetched records' varints read without a Long/BigInt each.
  const Decoder = require(`${path}/src/protocol/decoder.js`) as {prototype: Record<string, unknown>}
  cached = {version, path, patched: typeof Decoder.prototype.readVarLongFast === 'function'}
  return cached
}

let reported = false

/** Logs, once per process, which kafkajs runs: at debug when patched, as a warning when not. */
export function reportKafkajsBuild(logger: Logger): void {
  if (reported) return
  reported = true
  const build = kafkajsBuild()
  if (build.patched) {
    logger.debug(`kafkajs ${build.version} (patched by etl) from ${build.path}`)
    return
  }
  logger.warn(
    `kafkajs ${build.version} at ${build.path} lacks etl's patch (patches/kafkajs+2.2.4.patch): it works, but slower ` +
      'than etl was tested and measured with; reinstall etl, or run `npx patch-package` in a development checkout',
  )
}
