/**
 * Checks a Vega-Lite spec file at `etl validate` time and pins each problem to spec-file:line:col, so a typo in a
 * chart is found before the pipeline starts rather than as a failed render ten seconds into a run.
 */
import {extname} from 'node:path'
import {fileURLToPath} from 'node:url'
import {messageOf} from '../../../sdk/index.js'
import {ModuleWorker} from './module-worker.js'
import {PassedSpecCache} from './passed-spec-cache.js'
import {readSpec} from './spec-file.js'
import type {SpecCheckRequest} from './spec-check-worker.js'
import type {SpecOverrides} from './vega-view.js'

/**
 * Where the schema, Vega-Lite and Vega checks run. Loading vega and the schema's validator (compiling the schema, when
 * the build did not generate its validator) takes seconds on a loaded machine, hence the generous timeout; charts of
 * one pipeline are validated back to back and share the worker.
 */
const checker = new ModuleWorker<SpecCheckRequest, string[]>(
  // Same extension as this file: .js from dist/, .ts when run from src/ under tsx.
  new URL(`./spec-check-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
  {timeoutMs: 120_000, idleMs: 2_000},
)
const passed = new PassedSpecCache()

/**
 * Every problem with a spec, as messages starting with `label:line:col`. Empty when the spec can be rendered. The
 * schema, Vega-Lite and Vega checks run in a worker (see module-worker.ts), so neither vega nor the schema's validator
 * is loaded into this process, and a spec that passed them before with the same inputs is not checked again.
 */
export async function checkSpec(path: string, label: string, overrides: SpecOverrides): Promise<string[]> {
  const read = readSpec(path, label)
  if ('problem' in read) return [read.problem]
  const request: SpecCheckRequest = {text: read.text, label, overrides}
  if (passed.has(request)) return []
  let problems: string[]
  try {
    problems = await checker.call(request)
  } catch (error) {
    return [`${label}: could not check the spec: ${messageOf(error)}`]
  }
  if (problems.length === 0) passed.remember(request)
  return problems
}
