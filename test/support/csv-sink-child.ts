/**
 * A csv sink in a process of its own, for tests that need what only another process gives: being killed with -9 mid
 * write, holding the file's lock while alive, or a real file-size limit (RLIMIT_FSIZE, set with `prlimit` on this
 * process) that makes an append fail halfway. Usage: `node --import tsx csv-sink-child.ts <dir> <steps as JSON>`;
 * prints one JSON line per step ({step, ok, value?, error?}); the step `wait` prints {waiting: true} and hangs.
 */
import {spawnSync} from 'node:child_process'
import csv from '../../src/plugins/sink/csv/index.js'
import type {EtlRecord, SinkInstance} from '../../src/runtime/plugin-types.js'
import {configFor, testContext} from './plugin-context.js'

export type ChildStep =
  | {op: 'create'; config: Record<string, unknown>}
  | {op: 'positions'; topic: string}
  /**
   * Writes rows {n, text: `row <n>`} for n in [from, to) (generated here: a long argument list is too big for exec).
   */
  | {op: 'write'; rows: [from: number, to: number]; origin?: {partition: number; nextOffset: string}}
  | {op: 'flush'}
  | {op: 'close'}
  /** Limits the size of files this process writes (soft limit; the hard one stays), or lifts the limit. */
  | {op: 'limit'; bytes: number | 'unlimited'}
  | {op: 'wait'}

// With a handler, a write past RLIMIT_FSIZE fails with EFBIG (after writing what fits) instead of killing the process.
process.on('SIGXFSZ', () => undefined)

function numberedRows(from: number, to: number): EtlRecord[] {
  return Array.from({length: to - from}, (_, i) => ({n: from + i, text: `row ${from + i}`}))
}

const [dir, program] = process.argv.slice(2)
const steps = JSON.parse(program) as ChildStep[]
const {context, logs} = testContext({cwd: dir})
let sink: SinkInstance | undefined

const report = (line: Record<string, unknown>) => process.stdout.write(JSON.stringify(line) + '\n')

for (const [index, step] of steps.entries()) {
  try {
    let value: unknown
    switch (step.op) {
      case 'create':
        sink = (await csv.create(configFor(csv, step.config), context)) as SinkInstance
        break
      case 'positions':
        value = Object.fromEntries([...((await sink!.positions!(step.topic)) ?? [])].map(([p, o]) => [p, o.toString()]))
        break
      case 'write':
        await sink!.write(
          numberedRows(...step.rows),
          step.origin && {partition: step.origin.partition, nextOffset: BigInt(step.origin.nextOffset)},
        )
        break
      case 'flush':
        await sink!.flush()
        break
      case 'close':
        await sink!.close()
        break
      case 'limit': {
        const result = spawnSync('prlimit', ['--pid', String(process.pid), `--fsize=${step.bytes}:unlimited`], {
          encoding: 'utf8',
        })
        if (result.status !== 0) throw new Error(`prlimit failed: ${result.error?.message ?? result.stderr}`)
        break
      }
      case 'wait':
        report({step: index, ok: true, waiting: true, logs})
        setInterval(() => undefined, 60_000) // keeps the process alive until the test kills it
        await new Promise(() => undefined)
    }
    report({step: index, ok: true, value})
  } catch (error) {
    report({step: index, ok: false, error: `${(error as {code?: string}).code ?? ''} ${(error as Error).message}`})
  }
}
report({done: true, logs})
