/**
 * A real Prometheus server for the metrics e2e test: Debian's `prometheus` (installed on demand by
 * scripts/ensure-prometheus.sh, as the browser tests install Chromium), scraping one target on loopback every second,
 * queried through its HTTP API (`/api/v1/query`). No stand-in: what it reads is what an operator's Prometheus reads.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ENSURE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-prometheus.sh', import.meta.url))

/** How long a fresh machine may take to apt-get install Prometheus. */
export const PROMETHEUS_INSTALL_TIMEOUT_MS = 10 * 60_000

let cachedPath: Promise<string> | undefined

/** Path of the prometheus binary; installs it first when missing (its messages go to this process's stderr). */
export function ensurePrometheus(): Promise<string> {
  cachedPath ??= new Promise<string>((resolve, reject) => {
    const child = spawn(ENSURE_SCRIPT, [], {
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: PROMETHEUS_INSTALL_TIMEOUT_MS,
    })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const path = stdout.trim().split('\n').pop() ?? ''
      if (code === 0 && path) resolve(path)
      else
        reject(new Error(`scripts/ensure-prometheus.sh failed (${signal ?? `exit ${code}`}); see its messages above`))
    })
  })
  return cachedPath
}

export interface QueriedSample {
  metric: Record<string, string>
  value: number
}

export class TestPrometheus {
  private output = ''

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)))
    child.stderr?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)))
  }

  /** Starts Prometheus on `port`, scraping `target` (host:port) every second; resolves once it is ready. */
  static async start(options: {dir: string; port: number; target: string}): Promise<TestPrometheus> {
    const binary = await ensurePrometheus()
    const config = join(options.dir, 'prometheus.yml')
    writeFileSync(
      config,
      [
        'global: {scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s}',
        'scrape_configs:',
        '  - job_name: etl',
        `    static_configs: [{targets: ['${options.target}']}]`,
        '',
      ].join('\n'),
    )
    const child = spawn(
      binary,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(options.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${options.port}`,
      ],
      {stdio: ['ignore', 'pipe', 'pipe']},
    )
    const prometheus = new TestPrometheus(child, `http://127.0.0.1:${options.port}`)
    await prometheus.waitReady()
    return prometheus
  }

  get log(): string {
    return this.output
  }

  /** An instant query; the samples of its vector result. */
  async query(expression: string): Promise<QueriedSample[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expression)}`)
    const body = (await res.json()) as {
      status: string
      error?: string
      data?: {resultType: string; result: {metric: Record<string, string>; value: [number, string]}[]}
    }
    if (body.status !== 'success' || !body.data) throw new Error(`query ${expression} failed: ${body.error}`)
    return body.data.result.map((r) => ({metric: r.metric, value: Number(r.value[1])}))
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = new Promise((resolve) => this.child.once('close', resolve))
    this.child.kill('SIGTERM')
    await exited
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`prometheus exited (${this.child.exitCode}):\n${this.output}`)
      const ready = await fetch(`${this.url}/-/ready`).then(
        (res) => res.ok,
        () => false,
      )
      if (ready) return
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    throw new Error(`prometheus was not ready within 30 s:\n${this.output}`)
  }
}
