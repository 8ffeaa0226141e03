/**
 * End to end: a corpus of hostile pipeline files (test/fixtures/pipelines/hostile/<case>) through the built CLI, the
 * way a user or a script would run them: `etl validate`, `etl validate --json` and `etl run`. Every case must end
 * with exit 2, its error code, the expected message at its line, no stack trace, and finish (a hung CLI is killed and
 * fails the test). Large cases (a 20 MB file, 10,000 levels of nesting) are generated into a temporary folder.
 */
import {expect} from 'chai'
import {copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {buildCli, spawnEtl, type CliResult} from '../support/run-cli.js'

const repo = resolve(import.meta.dirname, '../..')
const HOSTILE = join(repo, 'test', 'fixtures', 'pipelines', 'hostile')
const STACK_LINE = /^\s+at |node:internal/m
/** Far above what any case needs (they fail before connecting); only a hang gets near it. */
const HANG_MS = 60_000

interface HostileCase {
  code: string
  messageIncludes: string
  line?: number
  /** Name of a generator below, for files too large to commit. */
  generate?: string
  env?: Record<string, string | {repeat: string; times: number}>
}

const SINKS = 'sinks:\n  - type: stdout\n'
const GENERATORS: Record<string, () => string> = {
  'deep-flow-sequences': () => `name: deep\ndescription: ok\nx: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n${SINKS}`,
  'deep-flow-mappings': () =>
    `name: deep\ndescription: ok\nx: ${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}\n${SINKS}`,
  'deep-block-sequences': () => `name: deep\ndescription: ok\nx:\n  ${'- '.repeat(5_000)}a\n${SINKS}`,
  'deep-indentation': () => {
    const levels = Array.from({length: 150}, (_, i) => `${' '.repeat(i)}k${i}:\n`).join('')
    return `name: deep\ndescription: ok\n${levels}${' '.repeat(150)}v\n${SINKS}`
  },
  'huge-file': () => `name: huge\n${SINKS}${`# ${'x'.repeat(77)}\n`.repeat((20 * 1024 * 1024) / 80)}`,
  'long-line': () => `name: long\ndescription: ${'x'.repeat(200_000)}\n${SINKS}`,
}

/** Runs the CLI; a run that outlives HANG_MS is killed and reported as a hang. */
async function etl(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult & {hung: boolean}> {
  const running = spawnEtl(args, {cwd, env})
  let hung = false
  const timer = setTimeout(() => {
    hung = true
    running.child.kill('SIGKILL')
  }, HANG_MS)
  const {code, signal} = await running.exited
  clearTimeout(timer)
  return {code, signal, ...running.output, hung}
}

function environment(extra: HostileCase['env'] = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1'}
  delete env.ETL_DEBUG
  for (const [name, value] of Object.entries(extra))
    env[name] = typeof value === 'string' ? value : value.repeat.repeat(value.times)
  return env
}

/** The shared expectations: finished, exit 2, no stack trace. */
function expectClean(result: CliResult & {hung: boolean}, what: string): void {
  expect(result.hung, `${what} hung`).to.equal(false)
  expect(result.code, `${what}:\n${result.stderr.slice(0, 2000)}`).to.equal(2)
  expect(result.stdout + result.stderr, what).to.not.match(STACK_LINE)
}

describe('hostile pipeline files (CLI)', function () {
  this.timeout(4 * HANG_MS)
  let dir: string

  before(buildCli)

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-hostile-'))
  })

  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  /** The case's pipeline in the temporary folder: copied, or generated. */
  function prepare(name: string, spec: HostileCase): string {
    const file = join(dir, 'pipeline.yaml')
    if (spec.generate) writeFileSync(file, GENERATORS[spec.generate]())
    else copyFileSync(join(HOSTILE, name, 'pipeline.yaml'), file)
    return file
  }

  const cases = readdirSync(HOSTILE).sort()
  it('the corpus covers every kind of hostile input it promises', () => {
    expect(cases).to.include.members([
      'billion-laughs',
      'deep-flow-sequences',
      'huge-file',
      'long-line',
      'nul-bytes',
      'invalid-utf8',
      'tag-js-function',
      'tag-binary',
      'merge-keys',
      'document-stream',
      'env-huge-expansion',
      'env-self-reference',
      'plugin-outside',
      'plugin-directory',
      'plugin-not-a-module',
      'numbers-out-of-range',
    ])
    for (const name of cases) {
      const spec = JSON.parse(readFileSync(join(HOSTILE, name, 'expected.json'), 'utf8')) as HostileCase
      const input = spec.generate ? GENERATORS[spec.generate] : existsSync(join(HOSTILE, name, 'pipeline.yaml'))
      expect(Boolean(input), name).to.equal(true)
    }
  })

  for (const name of cases) {
    const spec = JSON.parse(readFileSync(join(HOSTILE, name, 'expected.json'), 'utf8')) as HostileCase

    it(`${name}: validate, validate --json and run all exit 2 with ${spec.code}, no stack trace, no hang`, async () => {
      const file = prepare(name, spec)
      const env = environment(spec.env)
      const [text, json, run] = await Promise.all([
        etl(['validate', file], dir, env),
        etl(['validate', file, '--json'], dir, env),
        etl(['run', file, '--no-local-broker', '--brokers', '127.0.0.1:1'], dir, env),
      ])
      for (const [what, result] of [
        ['validate', text],
        ['run', run],
      ] as const) {
        expectClean(result, what)
        expect(result.stdout, what).to.equal('')
        // ETL_CONFIG_INVALID prints the problem list bare (like other linters); other codes lead the message.
        const head = spec.code === 'ETL_CONFIG_INVALID' ? `${file}: ` : `${spec.code}: ${file}: `
        expect(
          result.stderr.startsWith(head),
          `${what} stderr starts with ${head}:\n${result.stderr.slice(0, 500)}`,
        ).to.equal(true)
        const where = spec.line === undefined ? `${file}:` : `${file}:${spec.line}:`
        const line = result.stderr.split('\n').find((l) => l.startsWith(where) && l.includes(spec.messageIncludes))
        expect(
          line,
          `${what}: a line starting ${where} with "${spec.messageIncludes}" in:\n${result.stderr.slice(0, 2000)}`,
        ).to.be.a('string')
        // A hostile value is never echoed back in bulk.
        expect(result.stderr.length, what).to.be.below(4000)
      }
      expectClean(json, 'validate --json')
      const out = JSON.parse(json.stdout) as {
        valid: boolean
        code: string
        problems: {line?: number; message: string}[]
      }
      expect(out.valid).to.equal(false)
      expect(out.code).to.equal(spec.code)
      expect(
        out.problems.some(
          (p) => p.message.includes(spec.messageIncludes) && (spec.line === undefined || p.line === spec.line),
        ),
        JSON.stringify(out.problems),
      ).to.equal(true)
    })
  }

  const deviceTitle = 'a device that never ends (/dev/zero) is read up to the size limit, not forever: ETL_CONFIG_LIMIT'
  it(deviceTitle, async function () {
    if (!existsSync('/dev/zero')) this.skip()
    const result = await etl(['validate', '/dev/zero'], dir, environment())
    expectClean(result, 'validate /dev/zero')
    expect(result.stderr).to.match(
      /^ETL_CONFIG_LIMIT: \/dev\/zero: 1 problem\n\/dev\/zero:1:1 {2}the file is more than 1048576 bytes/,
    )
  })

  it('a folder given as the pipeline file: ETL_CONFIG_READ, exit 2', async () => {
    const result = await etl(['validate', dir], dir, environment())
    expectClean(result, 'validate <folder>')
    expect(result.stderr).to.match(/^ETL_CONFIG_READ: cannot read pipeline file .*EISDIR/)
  })
})
