/**
 * A real pseudo-terminal for e2e tests of terminal output (`etl top`, the status line of `etl run`): tmux on a socket
 * of the test's own, so what a test sees is the screen as tmux rendered it from the program's bytes (cursor moves,
 * erases, the alternate screen), and keys reach the program as a user's would.
 */
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const ENSURE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-tmux.sh', import.meta.url))

export class TmuxScreen {
  private constructor(private readonly socket: string) {}

  /** Installs tmux when it is missing (scripts/ensure-tmux.sh: apt-get as root), else fails with how to get it. */
  static ensure(): void {
    const result = spawnSync(ENSURE_SCRIPT, [], {stdio: ['ignore', 'ignore', 'inherit'], timeout: 10 * 60_000})
    if (result.status !== 0) throw new Error('scripts/ensure-tmux.sh could not provide tmux; see its messages above')
  }

  /** A detached session `name` of `width`×`height` running `command` (a shell command line) in `cwd` with `env`. */
  static start(
    socket: string,
    name: string,
    command: string,
    options: {cwd: string; env: NodeJS.ProcessEnv; width?: number; height?: number},
  ): TmuxScreen {
    const screen = new TmuxScreen(socket)
    const size = ['-x', String(options.width ?? 140), '-y', String(options.height ?? 50)]
    screen.tmux(['new-session', '-d', '-s', name, '-c', options.cwd, ...size, command], options)
    return screen
  }

  /** Another window of the same server: `target` is then `name`. */
  open(name: string, command: string, options: {cwd: string; env: NodeJS.ProcessEnv}): void {
    this.tmux(['new-session', '-d', '-s', name, '-c', options.cwd, '-x', '140', '-y', '50', command], options)
  }

  /** The visible screen of `target`, one string per row (trailing blanks trimmed). */
  capture(target: string): string[] {
    return this.tmux(['capture-pane', '-p', '-t', target])
      .split('\n')
      .map((line) => line.trimEnd())
  }

  sendKeys(target: string, keys: string): void {
    this.tmux(['send-keys', '-t', target, keys])
  }

  /** Ends the test's tmux server and whatever still runs in it. */
  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], {stdio: 'ignore'})
  }

  private tmux(args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): string {
    const result = spawnSync('tmux', ['-L', this.socket, ...args], {encoding: 'utf8', ...options})
    if (result.status !== 0) throw new Error(`tmux ${args[0]} failed: ${result.stderr}`)
    return result.stdout
  }
}
