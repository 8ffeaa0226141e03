/** `etl test`: finds test files, runs every test of each, and reports them with a diff for each failure. */
import {readdirSync, statSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'
import {EtlError} from '../errors.js'
import type {PluginRegistry} from '../plugin-registry.js'
import {checkCase, type Failure} from './check-case.js'
import {loadTestFile} from './load-test-file.js'
import {runTestCase} from './run-test-case.js'

export interface CaseResult {
  name: string
  line: number
  failures: Failure[]
  warnings: string[]
  ms: number
}

export interface FileResult {
  /** As named (relative to the working directory). */
  file: string
  /** Absolute. */
  path: string
  pipelineFile: string
  cases: CaseResult[]
}

export interface TestRun {
  files: FileResult[]
  passed: number
  failed: number
}

const TEST_FILE = /\.test\.ya?ml$/
const SKIPPED_DIRS = new Set(['node_modules', 'dist'])

function walk(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    if (entry.isDirectory())
      return entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name) ? [] : walk(join(dir, entry.name))
    return TEST_FILE.test(entry.name) ? [join(dir, entry.name)] : []
  })
}

/** The test files named (a folder: every *.test.yaml under it); none named: every one under the working directory. */
export function findTestFiles(paths: string[], cwd = process.cwd()): string[] {
  const roots = paths.length > 0 ? paths : [cwd]
  const files = roots.flatMap((path) => {
    let isDir: boolean
    try {
      isDir = statSync(resolve(cwd, path)).isDirectory()
    } catch {
      return [path] // reading it reports it
    }
    return isDir
      ? walk(resolve(cwd, path))
          .sort()
          .map((file) => relative(cwd, file))
      : [path]
  })
  if (files.length === 0) {
    throw new EtlError('ETL_CONFIG_READ', `no pipeline tests (*.test.yaml) under ${roots.join(', ')}`, {exitCode: 2})
  }
  return files
}

export interface RunTestsOptions {
  /** A fresh registry per file: each file's pipeline loads its own third-party plugins. */
  registry: () => PluginRegistry
  env?: NodeJS.ProcessEnv
  /** Relative file names resolve against this (default process.cwd()). */
  cwd?: string
}

/** Loads every file first (an invalid one ends the run with its problems, exit 2), then runs their tests. */
export async function runTestFiles(files: string[], options: RunTestsOptions): Promise<TestRun> {
  const loaded = []
  for (const file of files) {
    const path = resolve(options.cwd ?? process.cwd(), file)
    loaded.push({
      path,
      suite: await loadTestFile(path, {registry: options.registry(), env: options.env, shownAs: file}),
    })
  }
  const results: FileResult[] = []
  for (const {path, suite} of loaded) {
    const cases: CaseResult[] = []
    for (const test of suite.cases) {
      const started = performance.now()
      const output = await runTestCase(suite.pipeline, test)
      const failures = checkCase(test, output)
      cases.push({
        name: test.name,
        line: test.place.line,
        failures,
        warnings: output.warnings,
        ms: performance.now() - started,
      })
    }
    results.push({file: suite.file, path, pipelineFile: suite.pipeline.file, cases})
  }
  const all = results.flatMap((result) => result.cases)
  const failed = all.filter((result) => result.failures.length > 0).length
  return {files: results, passed: all.length - failed, failed}
}

export interface FormatOptions {
  cwd?: string
  /** Only failing tests (and the files holding them) and the summary line. */
  quiet?: boolean
}

function formatCase(result: CaseResult): string[] {
  const mark = result.failures.length === 0 ? '✔' : '✘'
  const out = [`  ${mark} ${result.name} (${Math.round(result.ms)} ms)`]
  for (const failure of result.failures)
    out.push(`      ${failure.heading}`, ...failure.lines.map((line) => `        ${line}`))
  if (result.failures.length > 0 && result.warnings.length > 0) {
    out.push('      log:', ...result.warnings.slice(-10).map((line) => `        ${line}`))
  }
  return out
}

export function formatTestRun(run: TestRun, options: FormatOptions = {}): string {
  const cwd = options.cwd ?? process.cwd()
  const out: string[] = []
  for (const file of run.files) {
    const shown = options.quiet ? file.cases.filter((result) => result.failures.length > 0) : file.cases
    if (shown.length === 0 && options.quiet) continue
    const tested = file.pipelineFile === file.path ? 'inline steps' : relative(cwd, file.pipelineFile)
    out.push(`${file.file} (${tested})`, ...shown.flatMap(formatCase))
  }
  const total = run.passed + run.failed
  out.push(`${total} test(s) in ${run.files.length} file(s): ${run.passed} passed, ${run.failed} failed`)
  return out.join('\n') + '\n'
}
