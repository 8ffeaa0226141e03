/** Every process the bench starts, so Ctrl-C or a failure stops exactly those (by pid) and nothing else. */
import type {ChildProcess} from 'node:child_process'

const running = new Set<ChildProcess>()

export function track<T extends ChildProcess>(child: T): T {
  running.add(child)
  child.once('exit', () => running.delete(child))
  child.once('error', () => running.delete(child))
  return child
}

export function killChildren(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const child of running) {
    try {
      child.kill(signal)
    } catch {
      // Already gone.
    }
  }
}

// An exit without cleanup (an uncaught error, a second Ctrl-C) must not leave a pipeline or a JVM tool running.
process.once('exit', () => killChildren())
