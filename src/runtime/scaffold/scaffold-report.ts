/** What `etl init` and `etl plugin new` print when they wrote their files: each file, then the next steps. */
import {relative} from 'node:path'
import type {Scaffolded} from './write-files.js'

/** A folder as the user would type it from the working directory ("." for the working directory itself). */
export function shownDir(dir: string): string {
  const rel = relative(process.cwd(), dir)
  if (rel === '') return '.'
  return rel.startsWith('..') ? dir : rel
}

/** `title`, the files written (relative to their folder), then `steps` as a numbered list of commands. */
export function scaffoldReport(title: string, result: Scaffolded, steps: string[]): string {
  const files = result.files.map((file) => `  ${relative(result.dir, file)}`)
  const next = steps.map((step, i) => `  ${i + 1}. ${step}`)
  return [title, ...files, '', 'Next steps:', ...next].join('\n')
}

/** A `cd` step, unless the folder is the working directory; quoted when it holds spaces or quotes. */
export function cdStep(dir: string): string[] {
  const shown = shownDir(dir)
  if (shown === '.') return []
  return [`cd ${/^[\w./@-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, `'\\''`)}'`}`]
}
