import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {localBrokerStatus, stopLocalBroker} from '../../../src/runtime/kafka-local/local-broker.js'
import {freePorts} from '../../support/global-broker.js'
import {runEtl} from '../../support/run-cli.js'

const repo = resolve(fileURLToPath(new URL('../../..', import.meta.url)))

interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built CLI the way a user does, in its own process, with no state folder from the environment. */
function etl(...args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  delete env.ETL_STATE_DIR
  return runEtl(args, {cwd: repo, env})
}

/**
 * The broker's parent (the CLI that started it) has exited, so once stopped it stays a zombie until init reaps it;
 * a zombie has terminated, so it does not count as alive.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}

describe('etl kafka start | status | stop', function () {
  this.timeout(120_000)
  let stateDir: string

  before(() => {
    // Other parts of the tree may not type-check mid-change; tsc still emits, and only these commands matter here.
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc')
    spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {cwd: repo})
    for (const command of ['start', 'status', 'stop']) {
      const built = join(repo, 'dist', 'commands', 'kafka', `${command}.js`)
      expect(existsSync(built), built).to.equal(true)
    }
  })

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'etl-kafka-cli-'))
  })

  afterEach(async () => {
    await stopLocalBroker({stateDir})
    await rm(stateDir, {recursive: true, force: true})
  })

  it('status --json reports not running for an empty state folder and exits 1', async () => {
    const result = await etl('kafka', 'status', '--json', '--state-dir', stateDir)
    expect(result.code).to.equal(1)
    expect(JSON.parse(result.stdout)).to.deep.equal({
      running: false,
      logFile: join(stateDir, 'kafka', 'logs', 'server.log'),
      dataDir: join(stateDir, 'kafka', 'data'),
      version: '4.2.1',
    })
  })

  it('start leaves a broker running after the CLI exits; status sees it; stop ends it', async () => {
    const [port, controllerPort] = await freePorts(2)
    const ports = ['--port', String(port), '--controller-port', String(controllerPort)]
    const started = await etl('kafka', 'start', '--json', '--state-dir', stateDir, ...ports)
    expect(started.code, started.stderr).to.equal(0)
    const info = JSON.parse(started.stdout) as {brokers: string; pid: number; alreadyRunning: boolean}
    expect(info).to.include({brokers: `127.0.0.1:${port}`, alreadyRunning: false})
    expect(alive(info.pid)).to.equal(true)
    expect(await localBrokerStatus({stateDir})).to.include({running: true, pid: info.pid})

    const status = await etl('kafka', 'status', '--state-dir', stateDir)
    expect(status.code).to.equal(0)
    expect(status.stdout).to.include(`Kafka 4.2.1 broker running at 127.0.0.1:${port} (pid ${info.pid})`)
    expect(status.stdout).to.include(`log: ${join(stateDir, 'kafka', 'logs', 'server.log')}`)

    const stopped = await etl('kafka', 'stop', '--json', '--state-dir', stateDir)
    expect(stopped.code).to.equal(0)
    expect(JSON.parse(stopped.stdout)).to.deep.equal({wasRunning: true, pid: info.pid, forced: false})
    expect(alive(info.pid)).to.equal(false)

    const after = await etl('kafka', 'status', '--json', '--state-dir', stateDir)
    expect(after.code).to.equal(1)
    expect(JSON.parse(after.stdout)).to.include({running: false})
  })

  it('start on a port in use fails with the error code, a way out and no stack trace', async () => {
    const server = createServer()
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
    const {port} = server.address() as {port: number}
    try {
      const result = await etl('kafka', 'start', '--state-dir', stateDir, '--port', String(port))
      expect(result.code).to.equal(1)
      const text = result.stderr.replace(/\s*›\s*/g, ' ')
      expect(text).to.include(`ETL_BROKER_SETUP: Port ${port} on 127.0.0.1 is already in use`)
      expect(text).to.include('--port')
      expect(result.stderr).to.not.match(/^\s+at /m)
    } finally {
      await new Promise((closed) => server.close(closed))
    }
  })
})
