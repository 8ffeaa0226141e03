/**
 * initdb and postgres refuse to run as root. When etl runs as root (containers, CI) the server programs run as the
 * `postgres` system user through runuser, and the cluster's folder is handed to that user; otherwise they run as
 * whoever runs etl.
 */
import {spawn, spawnSync} from 'node:child_process'
import {chownSync} from 'node:fs'
import {EtlError} from '../errors.js'

export const SERVER_USER = 'postgres'

export interface CommandResult {
  code: number | null
  output: string
}

/** Root runs the server as SERVER_USER; anyone else as themselves. */
export function runsAsRoot(): boolean {
  return process.getuid?.() === 0
}

/** The argv that runs `program` as the server's user. */
export function asServerUser(program: string, args: string[]): string[] {
  return runsAsRoot() ? ['runuser', '-u', SERVER_USER, '--', program, ...args] : [program, ...args]
}

/** Gives `dir` to the server's user when we are root (initdb needs to own the data folder's parent to create it). */
export function handToServerUser(dir: string): void {
  if (!runsAsRoot()) return
  const result = spawnSync('id', ['-u', SERVER_USER], {encoding: 'utf8'})
  const uid = Number(result.stdout.trim())
  const gid = Number(spawnSync('id', ['-g', SERVER_USER], {encoding: 'utf8'}).stdout.trim())
  if (result.status !== 0 || !Number.isInteger(uid)) {
    throw new EtlError(
      'ETL_POSTGRES_SETUP',
      `Running as root, the PostgreSQL server must run as the "${SERVER_USER}" user, which does not exist. ` +
        'Install the postgresql package (it creates the user), or run as an ordinary user.',
    )
  }
  chownSync(dir, uid, gid)
}

/** Runs a server program (as the server's user) and collects what it prints, for error messages. */
export function runServerCommand(program: string, args: string[], timeoutMs = 120_000): Promise<CommandResult> {
  const [command, ...rest] = asServerUser(program, args)
  return new Promise((resolve, reject) => {
    const child = spawn(command, rest, {stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs})
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, output}))
  })
}

/** The same, synchronously: for process exit handlers, where nothing asynchronous runs any more. */
export function runServerCommandSync(program: string, args: string[], timeoutMs = 30_000): CommandResult {
  const [command, ...rest] = asServerUser(program, args)
  const result = spawnSync(command, rest, {encoding: 'utf8', timeout: timeoutMs})
  return {code: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`}
}
