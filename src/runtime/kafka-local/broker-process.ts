/** Low-level helpers around the broker's JVMs: is it alive, is its port open, signal it, read its logs, run a tool. */
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {readFileSync, statSync} from 'node:fs'
import {connect} from 'node:net'
import {backoffDelay, sleep} from '../retry.js'
import {javaCommand} from './kafka-jars.js'

/** True when something accepts TCP connections on host:port within timeoutMs. */
export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host, port})
    const done = (open: boolean) => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** Gone includes a zombie: a broker whose parent died may wait for a reaper that never comes in some containers. */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
  try {
    return /^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/**
 * Whether a live pid runs a command line containing every marker. A recorded pid may have been reused by an
 * unrelated process after a reboot, and we must never signal one of those.
 */
export function runsCommand(pid: number, markers: string[]): boolean {
  if (isGone(pid)) return false
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return markers.every((marker) => cmdline.includes(marker))
  } catch {
    return true // no /proc (macOS): a live recorded pid is the best evidence there is
  }
}

/** Signals the whole process group the pid leads (a detached spawn), falling back to the pid alone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      // Already gone.
    }
  }
}

export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 1; !isGone(pid); attempt++) {
    if (Date.now() > deadline) return false
    await sleep(backoffDelay(attempt, {initialDelayMs: 50, maxDelayMs: 500}))
  }
  return true
}

/**
 * After a process has terminated, gives its parent (this process for a broker it spawned, else init) a moment to reap
 * it, so callers that check the pid with kill(pid, 0) see it gone. Best effort: some container inits never reap.
 */
export async function waitReaped(pid: number, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 1; Date.now() < deadline; attempt++) {
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
    await sleep(backoffDelay(attempt, {initialDelayMs: 10, maxDelayMs: 200}))
  }
}

/** The part of a log file written after offset. */
export function readFrom(file: string, offset: number): string {
  try {
    const text = readFileSync(file)
    // A rollover during start-up shrinks the file; then the whole new file belongs to this start.
    return (text.length >= offset ? text.subarray(offset) : text).toString('utf8')
  } catch {
    return ''
  }
}

export function lastLines(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

export function sizeOf(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

/** Kafka's cluster ids are 16 random bytes in unpadded base64url; Kafka itself avoids ones starting with '-'. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

/** Runs a short-lived Kafka tool (StorageTool) and collects everything it prints, for error messages. */
export function runJava(args: string[], cwd: string): Promise<{code: number | null; output: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(javaCommand(), args, {cwd, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, output}))
  })
}
