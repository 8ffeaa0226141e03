/**
 * `npm run bench:micro`: every micro-benchmark in bench/micro/, one after another, each in a Node process of its own
 * so that one's optimised code and heap do not colour the next. Names pick some of them:
 *
 *   npm run bench:micro                        all of them
 *   npm run bench:micro -- csv-read iso-time   only these (file names without .ts)
 *
 * The ones that compare against another checkout take its path when run on their own (see their headers).
 */
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {basename, join} from 'node:path'

const MICRO_DIR = join(import.meta.dirname, 'micro')

const available = readdirSync(MICRO_DIR)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => basename(file, '.ts'))
  .sort()
const wanted = process.argv.slice(2)
for (const name of wanted)
  if (!available.includes(name)) throw new Error(`no micro-benchmark ${name} (${available.join(', ')})`)

const failed: string[] = []
for (const name of wanted.length > 0 ? wanted : available) {
  process.stdout.write(`\n— bench/micro/${name}.ts\n`)
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(MICRO_DIR, `${name}.ts`)], {stdio: 'inherit'})
  if (run.status !== 0) failed.push(`${name} (${run.signal ?? `exit ${run.status}`})`)
}
if (failed.length > 0) {
  process.stderr.write(`\nfailed: ${failed.join(', ')}\n`)
  process.exitCode = 1
}
