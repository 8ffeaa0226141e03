/**
 * `etl top`: scrapes a running pipeline's /metrics and /readyz every interval and shows the result — redrawn in place
 * on a terminal until `q`, printed as plain text elsewhere (every interval, or once with --once). The latest record
 * per key comes from the pipeline's tap (last step), read alongside; without a tap there (a source-only process) that
 * part says why and the rest works. Reads only: it talks HTTP to the pipeline and nothing to Kafka.
 */
import {EtlError, messageOf} from '../errors.js'
import {streamTap, unreachable} from '../tap/tap-client.js'
import {LatestRecords} from './latest-records.js'
import {parseExposition} from './prometheus-text.js'
import {buildFrame, type Scrape, type TopReadiness} from './top-frame.js'
import {renderTop, type RenderOptions} from './top-render.js'
import {TopTerminal} from './top-terminal.js'

export interface TopOptions {
  base: string
  intervalMs: number
  /** One plain screen and exit (rates: the endpoint's own 10 s rate). */
  once: boolean
  /** Show the latest record per key from the pipeline's tap. */
  latest: boolean
  output: NodeJS.WriteStream
  input: NodeJS.ReadStream
}

export async function runTop(options: TopOptions): Promise<void> {
  const session = new TopSession(options)
  const first = await session.scrape()
  if (!first) throw session.failure ?? new EtlError('ETL_METRICS_UNREACHABLE', `no answer from ${options.base}`)
  if (options.once)
    return void options.output.write(session.screen(Infinity, widthOf(options.output)).join('\n') + '\n')
  await (options.output.isTTY && options.input.isTTY ? session.live() : session.plain())
}

const widthOf = (output: NodeJS.WriteStream) => (output.isTTY ? output.columns || 80 : 120)

class TopSession {
  private previous: Scrape | undefined
  private current: Scrape | undefined
  private readiness: TopReadiness | undefined
  /** Why the last scrape failed (cleared by the next that works). */
  failure: EtlError | undefined
  private readonly latest = new LatestRecords()
  private latestError: string | undefined
  private readonly stopped = new AbortController()

  constructor(private readonly options: TopOptions) {}

  /** Reads /metrics and /readyz; false (and `failure` set) when the endpoint does not answer. */
  async scrape(): Promise<boolean> {
    const {base} = this.options
    try {
      const text = await fetch(`${base}/metrics`, {signal: AbortSignal.timeout(5000)}).then((r) => r.text())
      const readyz = await fetch(`${base}/readyz`, {signal: AbortSignal.timeout(5000)})
        .then((r) => r.json() as Promise<{ready: boolean; checks: Record<string, {ok: boolean; reason?: string}>}>)
        .catch(() => undefined)
      this.previous = this.current
      this.current = {at: Date.now(), samples: parseExposition(text)}
      this.readiness = readyz && {
        ready: readyz.ready,
        failing: Object.entries(readyz.checks)
          .filter(([, check]) => !check.ok)
          .map(([name, check]) => `${name}: ${check.reason ?? 'failing'}`),
      }
      this.failure = undefined
      return true
    } catch (error) {
      this.failure = unreachable(base, error)
      return false
    }
  }

  screen(height: number, width: number, footer?: string): string[] {
    const frame = buildFrame(this.current!, this.previous, this.readiness)
    const latest: RenderOptions['latest'] = this.options.latest
      ? {
          records: this.latest.list(),
          place: 'after the last step',
          dropped: this.latest.dropped,
          error: this.latestError,
        }
      : undefined
    const lines = renderTop(frame, {url: this.options.base, width, height, latest, footer})
    if (this.failure) lines.splice(1, 0, `NO ANSWER since the screen below: ${messageOf(this.failure)}`.slice(0, width))
    return lines
  }

  /** On a terminal: redrawn in place every interval until `q` or Ctrl-C. */
  async live(): Promise<void> {
    const terminal = new TopTerminal(this.options.output, this.options.input)
    const draw = () => terminal.draw(this.screen(terminal.height, terminal.width, 'q quits'))
    terminal.enter(() => this.stopped.abort(), draw)
    try {
      this.tapLatest()
      draw()
      while (await this.pause()) {
        await this.scrape()
        if (!this.stopped.signal.aborted) draw()
      }
    } finally {
      terminal.leave()
    }
  }

  /** Off a terminal: a plain screen every interval, until the process is stopped or the pipeline goes away. */
  async plain(): Promise<void> {
    this.tapLatest()
    const print = () => this.options.output.write(this.screen(Infinity, 120).join('\n') + '\n\n')
    print()
    while (await this.pause()) {
      if (!(await this.scrape())) throw this.failure
      print()
    }
  }

  /** Waits one interval; false once stopped. */
  private pause(): Promise<boolean> {
    const {signal} = this.stopped
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(false)
      const onAbort = () => {
        clearTimeout(timer)
        resolve(false)
      }
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort)
        resolve(true)
      }, this.options.intervalMs)
      signal.addEventListener('abort', onAbort, {once: true})
    })
  }

  /** Keeps the latest record per key from the tap, in the background, for as long as the session runs. */
  private tapLatest(): void {
    if (!this.options.latest) return
    void streamTap({base: this.options.base, signal: this.stopped.signal, onEvent: (event) => this.latest.add(event)})
      .then(() => {
        if (!this.stopped.signal.aborted) this.latestError = 'the tap stream ended (the run stopped?)'
      })
      .catch((error: unknown) => (this.latestError = messageOf(error)))
  }
}
