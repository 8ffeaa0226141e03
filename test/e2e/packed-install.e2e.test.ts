/**
 * The package works installed: `npm pack` of this repository (which runs `prepare`: patch-package and the build), then
 * `npm install <tarball>` in a new project outside the repository, and everything a user does from there runs the
 * installed copy: the patched kafkajs it bundles, `etl run` through the real broker, a plugin made with
 * `etl plugin new` that installs, tests, builds and runs in a pipeline, `etl init` + validate + test, `etl plugins`.
 * npm talks to the registry (its cache is warm, hence --prefer-offline).
 */
import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join, sep} from 'node:path'
import {parse} from 'csv-parse/sync'
import {stringify as stringifyYaml} from 'yaml'
import {testBrokers, uniqueName} from '../support/kafka-test-utils.js'
import {REPO} from '../support/run-cli.js'

const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline']
const STACK_LINE = /^\s+at /m
const HISTORY = join(REPO, 'data', 'btcusd-1d-2011-2025.csv')

interface Ran {
  command: string
  cwd: string
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  ms: number
}

/**
 * The environment of every command: this test's Node first on PATH (npm, npx and etl's `#!/usr/bin/env node` bin
 * run on it) and none of this repository's node_modules/.bin (which `npx mocha` or `npm test` put there: the
 * project must not find etl's development tools), no log settings or npm lifecycle variables of whoever started mocha.
 */
function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  const path = (process.env.PATH ?? '').split(delimiter).filter((entry) => entry && !entry.startsWith(REPO + sep))
  env.PATH = [dirname(process.execPath), ...path].join(delimiter)
  for (const name of Object.keys(env)) {
    if (/^npm_(lifecycle|package)_/.test(name) || name === 'INIT_CWD') delete env[name]
  }
  for (const name of ['ETL_DEBUG', 'ETL_LOG_LEVEL', 'ETL_LOG_FORMAT', 'ETL_STATE_DIR']) delete env[name]
  return {...env, ...extra}
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = baseEnv()): Promise<Ran> {
  const started = performance.now()
  const shown = [command, ...args].join(' ')
  return new Promise((done, reject) => {
    const child = spawn(command, args, {cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      done({command: shown, cwd, code, signal, stdout, stderr, ms: performance.now() - started})
    })
  })
}

function report(result: Ran): string {
  const how = result.signal ? `was killed by ${result.signal}` : `exited ${result.code}`
  return `\`${result.command}\` in ${result.cwd} ${how}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`
}

/** Fails with the command's whole output unless it exited 0. */
function expectSuccess(result: Ran): Ran {
  expect(result.code, report(result)).to.equal(0)
  return result
}

/** sha256 over the relative paths and contents of every .js file under `dir`, in path order. */
function hashJsTree(dir: string): {hash: string; files: number} {
  const files = (readdirSync(dir, {recursive: true}) as string[]).filter((file) => file.endsWith('.js')).sort()
  const hash = createHash('sha256')
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(dir, file)))
      .update('\0')
  return {hash: hash.digest('hex'), files: files.length}
}

function csvRows(path: string): Record<string, string>[] {
  return parse(readFileSync(path, 'utf8'), {columns: true, skip_empty_lines: true}) as Record<string, string>[]
}

/** A replay of the first `limit` rows of etl's bundled history, with its own topic and name, into `csv`. */
function replayPipeline(extra: Record<string, unknown>, csv: string, limit = 30): string {
  return stringifyYaml({
    name: uniqueName('etl-e2e-installed'),
    ...('plugins' in extra ? {plugins: extra.plugins} : {}),
    kafka: {topic: uniqueName('etl-e2e-installed')},
    source: {type: 'replay', limit},
    ...('transforms' in extra ? {transforms: extra.transforms} : {}),
    sinks: [{type: 'csv', path: csv, ...(extra.columns ? {columns: extra.columns} : {})}],
  })
}

describe('the package works installed (npm pack, npm install in a new project)', function () {
  this.timeout(300_000)
  let tmp: string
  let project: string
  /** <project>/node_modules/etl */
  let installed: string

  before(async function () {
    this.timeout(900_000)
    tmp = realpathSync(await mkdtemp(join(tmpdir(), 'etl-e2e-packed-')))
    const packDir = join(tmp, 'pack')
    mkdirSync(packDir)
    const pack = expectSuccess(await run('npm', ['pack', '--pack-destination', packDir], REPO))
    const tarballs = readdirSync(packDir).filter((file) => file.endsWith('.tgz'))
    expect(tarballs, report(pack)).to.have.length(1)
    project = join(tmp, 'project')
    mkdirSync(project)
    const manifest = {name: 'etl-installed-test', private: true, type: 'module'}
    writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2) + '\n')
    const install = expectSuccess(await run('npm', ['install', join(packDir, tarballs[0]), ...NPM_FLAGS], project))
    installed = join(project, 'node_modules', 'etl')
    expect(existsSync(join(installed, 'package.json')), report(install)).to.equal(true)
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
    process.stderr.write(`      [packed-install] npm pack ${seconds(pack.ms)}, npm install ${seconds(install.ms)}\n`)
  })

  after(async () => {
    if (tmp) await rm(tmp, {recursive: true, force: true})
  })

  /** `npx etl …` in the project (or a folder of it), with the project's own state folder. */
  function etl(args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): Promise<Ran> {
    const env = options.env ?? baseEnv()
    return run('npx', ['etl', ...args], options.cwd ?? project, {ETL_STATE_DIR: join(project, '.etl'), ...env})
  }

  function brokerFlags(): string[] {
    return ['--brokers', testBrokers().join(','), '--no-local-broker']
  }

  it('ships the patched kafkajs, bundled inside etl, and that is the kafkajs etl resolves', () => {
    const bundled = join(installed, 'node_modules', 'kafkajs')
    expect(existsSync(join(bundled, 'package.json')), `${bundled} (bundleDependencies)`).to.equal(true)
    const version = JSON.parse(readFileSync(join(bundled, 'package.json'), 'utf8')).version
    expect(version).to.equal('2.2.4')
    const shipped = hashJsTree(join(bundled, 'src'))
    const tested = hashJsTree(join(REPO, 'node_modules', 'kafkajs', 'src'))
    expect(shipped.files).to.be.greaterThan(100)
    expect(shipped, 'src/**/*.js of the installed kafkajs = the patched copy the tests ran').to.deep.equal(tested)
    const require = createRequire(join(installed, 'package.json'))
    expect(dirname(require.resolve('kafkajs/package.json'))).to.equal(bundled)
    expect(require.resolve('kafkajs').startsWith(bundled + '/')).to.equal(true)
    const Decoder = require(join(bundled, 'src', 'protocol', 'decoder.js')) as {prototype: Record<string, unknown>}
    expect(Decoder.prototype.readVarLongFast, 'a method the patch adds').to.be.a('function')
  })

  it('`npx etl run` replays through the real broker into a CSV, on the installed, patched kafkajs', async () => {
    writeFileSync(join(project, 'replay.yaml'), replayPipeline({}, 'data/replay.csv'))
    const result = await etl(['run', 'replay.yaml', ...brokerFlags()], {env: baseEnv({ETL_LOG_LEVEL: 'debug'})})
    expectSuccess(result)
    expect(result.stderr).to.not.match(STACK_LINE)
    const bundled = join(installed, 'node_modules', 'kafkajs')
    expect(result.stderr).to.include(`kafkajs 2.2.4 (patched by etl) from ${bundled}`)
    const rows = csvRows(join(project, 'data', 'replay.csv'))
    expect(rows).to.have.length(30)
    const history = csvRows(HISTORY).slice(0, 30)
    expect(rows.map((row) => row.price_usd)).to.deep.equal(history.map((row) => String(Number(row.close))))
    expect(rows[0]).to.include({symbol: 'BTC', timestamp: '2011-08-18T00:00:00.000Z', source: 'replay'})
  })

  it("`npx etl plugin new`: the package installs, tests and builds, and runs in the project's pipeline", async () => {
    const args = ['plugin', 'new', 'etl-plugin-upper', '--kind', 'transform', '--dir', 'plugins/upper']
    const made = expectSuccess(await etl(args))
    const dir = join(project, 'plugins', 'upper')
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    expect(manifest.devDependencies.etl, made.stdout).to.equal(`file:${installed}`)

    expectSuccess(await run('npm', ['install', ...NPM_FLAGS], dir))
    const tested = expectSuccess(await run('npm', ['test'], dir))
    expect(tested.stdout).to.match(/^\s+4 passing/m)
    expect(tested.stdout).to.not.match(/failing/)
    await rm(join(dir, 'dist'), {recursive: true, force: true})
    expectSuccess(await run('npm', ['run', 'build'], dir))
    expect(readdirSync(join(dir, 'dist'))).to.include.members(['index.js', 'index.d.ts'])

    expectSuccess(await run('npm', ['install', './plugins/upper', ...NPM_FLAGS], project))
    const pipeline = replayPipeline(
      {
        plugins: ['etl-plugin-upper'],
        transforms: [{type: 'upper', field: 'coin_id', as: 'coin'}],
        columns: ['timestamp', 'coin_id', 'coin', 'price_usd'],
      },
      'data/upper.csv',
    )
    writeFileSync(join(project, 'upper.yaml'), pipeline)
    const result = expectSuccess(await etl(['run', 'upper.yaml', ...brokerFlags()]))
    expect(result.stderr).to.not.match(STACK_LINE)
    const rows = csvRows(join(project, 'data', 'upper.csv'))
    expect(rows).to.have.length(30)
    for (const row of rows) expect(row).to.include({coin_id: 'bitcoin', coin: 'BITCOIN'})
  })

  it('`npx etl init`: the starter pipeline validates and its pipeline tests pass', async () => {
    expectSuccess(await etl(['init', 'starter']))
    const manifest = JSON.parse(readFileSync(join(project, 'starter', 'package.json'), 'utf8'))
    expect(manifest.dependencies).to.deep.equal({etl: `file:${installed}`})
    const validated = expectSuccess(await etl(['validate', 'starter/pipelines/main.yaml']))
    expect(validated.stdout).to.include('starter/pipelines/main.yaml: valid (starter: source replay, 1 transform(s)')
    const tested = expectSuccess(await etl(['test', 'starter/pipelines/main.test.yaml']))
    expect(tested.stdout).to.match(/\b2 test\(s\) in 1 file\(s\): 2 passed, 0 failed\n$/)
  })

  it('ships what the build generates: a current command manifest and the precompiled validators', async () => {
    const manifest = (await import(join(installed, 'dist', 'cli', 'command-manifest.js'))) as {
      isManifestCurrent(root: string): boolean
    }
    // oclif.manifest.json: oclif imports only the command that runs.
    expect(manifest.isManifestCurrent(installed)).to.equal(true)
    const validator = join(installed, 'dist/plugins/chart/vega-lite/vega-lite-schema-validator.generated.cjs')
    expect(existsSync(validator), validator).to.equal(true)
    const schemas = join(installed, 'dist/runtime/config/schema-validators.generated.cjs')
    expect(existsSync(schemas), schemas).to.equal(true)
  })

  it('`npx etl plugins` lists the built-ins: the installed CLI works outside the repository', async () => {
    const result = expectSuccess(await etl(['plugins']))
    for (const plugin of ['source coingecko', 'source replay', 'transform ohlc', 'sink csv', 'chart vega-lite']) {
      expect(result.stdout).to.match(new RegExp(`^${plugin} — `, 'm'))
    }
  })
})
