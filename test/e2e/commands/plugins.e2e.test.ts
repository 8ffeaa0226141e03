/**
 * `etl plugins` as a user runs it (the built CLI in its own process): every built-in with its summary and config
 * fields, a machine-readable --json, --kind filtering, and third-party plugins a pipeline file loads by path.
 */
import {expect} from 'chai'
import {join, resolve} from 'node:path'
import {runEtl, buildCli} from '../../support/run-cli.js'

const repo = resolve(import.meta.dirname, '../../..')
const THIRD_PARTY = join(repo, 'test', 'fixtures', 'pipelines', 'valid', 'third-party-plugin', 'pipeline.yaml')
const BUILT_INS = [
  'source binance',
  'source coinbase',
  'source coingecko',
  'source http',
  'source replay',
  'source websocket',
  'transform alert',
  'transform ema',
  'transform filter',
  'transform map',
  'transform ohlc',
  'transform pct_change',
  'transform sma',
  'transform vwap',
  'transform window',
  'transform zscore',
  'sink csv',
  'sink kafka',
  'sink parquet',
  'sink postgres',
  'sink stdout',
  'chart vega-lite',
]

const SINKS = BUILT_INS.filter((entry) => entry.startsWith('sink '))

interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

interface PluginEntry {
  name: string
  kind: string
  summary: string
  secrets: string[]
  origin: string
  configSchema: {type: string; properties: Record<string, {description?: unknown}>; required?: string[]}
}

function etl(args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  delete env.ETL_DEBUG
  return runEtl(args, {cwd: repo, env})
}

function buildOnce(): void {
  buildCli()
}

async function pluginsJson(...args: string[]): Promise<PluginEntry[]> {
  const result = await etl(['plugins', '--json', ...args])
  expect(result.code, result.stderr).to.equal(0)
  return JSON.parse(result.stdout) as PluginEntry[]
}

/** The text output split into one block per plugin, keyed by "kind name". */
function textBlocks(stdout: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>()
  for (const block of stdout.trim().split(/\n\s*\n/)) {
    const [title, ...fields] = block.split('\n')
    const match = /^(\w+) (\S+) — /.exec(title)
    expect(match, `a block title "kind name — summary": ${title}`).to.not.equal(null)
    blocks.set(`${match![1]} ${match![2]}`, [title, ...fields])
  }
  return blocks
}

describe('etl plugins (CLI)', function () {
  this.timeout(60_000)

  before(buildOnce)

  it('lists every built-in with its summary and every config field', async () => {
    const [result, entries] = await Promise.all([etl(['plugins']), pluginsJson()])
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stderr).to.equal('')
    const blocks = textBlocks(result.stdout)
    expect([...blocks.keys()]).to.include.members(BUILT_INS)
    for (const entry of entries) {
      const [title, ...lines] = blocks.get(`${entry.kind} ${entry.name}`)!
      expect(title).to.equal(`${entry.kind} ${entry.name} — ${entry.summary}`)
      // A source that declares its message key says so first; the rest are its config fields.
      const fields = lines.filter((line) => !line.startsWith('    messages keyed by: '))
      expect(entry.summary.trim()).to.not.equal('')
      const names = Object.keys(entry.configSchema.properties)
      expect(names, `${entry.kind} ${entry.name} has config fields`).to.not.have.length(0)
      expect(fields.map((line) => /^ {4}(\S+) \(/.exec(line)?.[1])).to.deep.equal(names)
      for (const [i, name] of names.entries()) {
        expect(fields[i]).to.include(String(entry.configSchema.properties[name].description))
      }
    }
    // Secrets are marked as such, so a user knows the value is redacted.
    expect(blocks.get('source coingecko')!.find((line) => line.includes('apiKey ('))).to.include('secret')
    for (const source of ['source coingecko', 'source replay']) {
      expect(blocks.get(source)![1], source).to.equal(
        '    messages keyed by: symbol (unless the pipeline sets kafka.key)',
      )
    }
    expect(blocks.get('transform ohlc')!.some((line) => line.includes('messages keyed by'))).to.equal(false)
  })

  const jsonTitle =
    '--json: every entry has name, kind, summary and an object configSchema whose properties are all described'
  it(jsonTitle, async () => {
    const entries = await pluginsJson()
    expect(entries.map((e) => `${e.kind} ${e.name}`)).to.have.members(BUILT_INS)
    for (const entry of entries) {
      const label = `${entry.kind} ${entry.name}`
      expect(entry.name, label).to.be.a('string').and.not.equal('')
      expect(entry.kind, label).to.be.oneOf(['source', 'transform', 'sink', 'chart'])
      expect(entry.summary, label).to.be.a('string').and.not.equal('')
      expect(entry.origin, label).to.equal('built-in')
      expect(entry.configSchema.type, label).to.equal('object')
      expect(entry.configSchema.properties, label).to.be.an('object')
      for (const [field, schema] of Object.entries(entry.configSchema.properties)) {
        expect(schema.description, `${label}: ${field} has a description`).to.be.a('string').and.not.equal('')
      }
    }
    const coingecko = entries.find((e) => e.name === 'coingecko')!
    expect(coingecko.secrets).to.deep.equal(['apiKey'])
    expect(coingecko.configSchema.properties).to.include.keys('coins', 'vsCurrencies', 'interval', 'apiKey', 'baseUrl')
    expect(entries.find((e) => e.name === 'filter')!.configSchema.required).to.include('where')
  })

  it('--kind sink lists only sinks', async () => {
    const result = await etl(['plugins', '--kind', 'sink'])
    expect(result.code, result.stderr).to.equal(0)
    expect([...textBlocks(result.stdout).keys()]).to.deep.equal(SINKS)
    const entries = await pluginsJson('--kind', 'sink')
    expect(entries.map((e) => `${e.kind} ${e.name}`)).to.deep.equal(SINKS)
  })

  it('--kind with an unknown kind is rejected', async () => {
    const result = await etl(['plugins', '--kind', 'database'])
    expect(result.code).to.equal(2)
    expect(result.stderr.replace(/\s*›\s*/g, ' ')).to.match(/source, transform, sink, chart/)
  })

  it('--pipeline includes the third-party plugin the file loads by path (relative to the file)', async () => {
    const result = await etl(['plugins', '--pipeline', THIRD_PARTY])
    expect(result.code, result.stderr).to.equal(0)
    const blocks = textBlocks(result.stdout)
    expect([...blocks.keys()]).to.include.members([...BUILT_INS, 'sink flaky'])
    const [title, ...fields] = blocks.get('sink flaky')!
    expect(title).to.equal('sink flaky — Test sink that accepts records until failAfter, then throws.')
    expect(fields).to.have.length(1)
    expect(fields[0]).to.match(/^ {4}failAfter \(integer, default 0\) {2}records accepted before failing/)

    const entries = await pluginsJson('--pipeline', THIRD_PARTY)
    const flaky = entries.find((e) => e.kind === 'sink' && e.name === 'flaky')!
    expect(flaky).to.not.equal(undefined)
    expect(flaky.origin).to.include('flaky-sink.mjs')
    expect(flaky.configSchema.type).to.equal('object')
    expect(flaky.configSchema.properties.failAfter.description).to.be.a('string')
    const sinks = await pluginsJson('--pipeline', THIRD_PARTY, '--kind', 'sink')
    expect(sinks.map((e) => e.name)).to.have.members([...SINKS.map((entry) => entry.slice('sink '.length)), 'flaky'])

    // Without the file the third-party plugin is not known.
    expect((await pluginsJson()).map((e) => e.name)).to.not.include('flaky')
  })

  it('--pipeline with an invalid file exits 2 with its problems and no stack trace', async () => {
    const result = await etl([
      'plugins',
      '--pipeline',
      join(repo, 'test', 'fixtures', 'pipelines', 'invalid', 'plugin-module-missing', 'pipeline.yaml'),
    ])
    expect(result.code).to.equal(2)
    expect(result.stderr).to.match(/pipeline\.yaml:2:5 {2}plugins\[0\] {2}cannot import plugin module/)
    expect(result.stderr).to.not.match(/^\s+at /m)
  })
})
