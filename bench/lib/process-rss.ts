/** Another process's memory, read from outside so that measuring it costs the process nothing. */
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

/** Resident set size in MB: /proc on Linux, ps elsewhere; undefined once the process is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    if (match) return Number(match[1]) / 1024
  } catch {
    // No /proc (macOS), or the process ended.
  }
  try {
    const kb = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], {encoding: 'utf8'}).trim())
    return kb > 0 ? kb / 1024 : undefined
  } catch {
    return undefined
  }
}
