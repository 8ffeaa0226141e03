/** Runs the built `etl` binary the way a user does: its own process, real arguments, real working directory. */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join, resolve} from 'node:path'

export const REPO = resolve(import.meta.dirname, '../..')
export const ETL_BIN = join(REPO, 'bin', 'run.js')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export function runEtl(args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): Promise<CliResult> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [ETL_BIN, ...args], {
      cwd: options.cwd ?? REPO,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code, signal) => done({code, signal, stdout, stderr}))
  })
}

export interface RunningEtl {
  child: ChildProcess
  /** Everything written so far; grows while it runs. */
  output: {stdout: string; stderr: string}
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>
}

/** Starts `etl` and returns at once, for commands that run until signalled (e.g. `etl run --stage process`). */
export function spawnEtl(args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): RunningEtl {
  const child = spawn(process.execPath, [ETL_BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = {stdout: '', stderr: ''}
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()))
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((done, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => done({code, signal}))
  })
  return {child, output, exited}
}

let built = false

/** Compiles src/ into dist/ once per test process, so the binary under test is the current code. */
export function buildCli(): void {
  if (built) return
  // tsc emits even when a file elsewhere does not type-check; the built CLI is what these tests exercise.
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')
  spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {cwd: REPO, stdio: 'ignore'})
  if (!existsSync(join(REPO, 'dist', 'commands', 'run.js')))
    throw new Error('building the CLI produced no dist/commands/run.js')
  built = true
}
