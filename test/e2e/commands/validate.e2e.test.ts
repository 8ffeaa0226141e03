/**
 * `etl validate` as a user runs it (the built CLI in its own process): every problem of an invalid file pinned to
 * file:line:col, exit 2, no stack trace, JSON output on request, and secrets from the environment never printed.
 */
import {expect} from 'chai'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {type ExpectedPipelineError, type ExpectedProblem} from '../../support/pipeline-fixtures.js'
import {buildCli, runEtl} from '../../support/run-cli.js'

const repo = resolve(import.meta.dirname, '../../..')
const INVALID = join(repo, 'test', 'fixtures', 'pipelines', 'invalid')
const SECRET = 'super-secret-value-987'

interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** A clean environment: no test variable a fixture expects to be unset, no debug output. */
function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ...extra}
  for (const name of Object.keys(env)) if (name.startsWith('ETL_TEST_SURELY_UNSET')) delete env[name]
  delete env.ETL_DEBUG
  return env
}

function etl(args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): Promise<CliResult> {
  return runEtl(args, {cwd: options.cwd ?? repo, env: options.env ?? baseEnv()})
}

function buildOnce(): void {
  buildCli()
}

const STACK_LINE = /^\s+at /m

describe('etl validate (CLI)', function () {
  this.timeout(60_000)

  before(buildOnce)

  describe('invalid fixtures', () => {
    for (const name of readdirSync(INVALID)) {
      const file = join(INVALID, name, 'pipeline.yaml')
      const expected = JSON.parse(readFileSync(join(INVALID, name, 'expected.json'), 'utf8')) as ExpectedPipelineError

      const textTitle =
        `${name}: exit ${expected.exitCode}, every problem as pipeline.yaml:line:col on stderr, ` + 'no stack trace'
      it(textTitle, async () => {
        const result = await etl(['validate', file])
        expect(result.code, result.stderr).to.equal(expected.exitCode)
        expect(result.stdout).to.equal('')
        expect(result.stderr).to.not.match(STACK_LINE)
        const lines = result.stderr.split('\n')
        const problemLines = lines.filter((line) => /pipeline\.yaml:\d+:\d+ {2}/.test(line))
        expect(problemLines, result.stderr).to.have.length(expected.problems.length)
        for (const want of expected.problems) {
          const where =
            want.col === undefined ? `pipeline.yaml:${want.line}:` : `pipeline.yaml:${want.line}:${want.col} `
          const line = problemLines.find((l) => l.includes(where) && (!want.path || l.includes(`  ${want.path}  `)))
          expect(line, `a line with ${where}${want.path ? ` and ${want.path}` : ''} in:\n${result.stderr}`).to.be.a(
            'string',
          )
          if (want.messageIncludes) expect(line).to.include(want.messageIncludes)
          // file:line:col  path  message — the file as given on the command line
          expect(line!.startsWith(`${file}:${want.line}:`), line).to.equal(true)
        }
      })

      it(`${name}: --json prints valid:false with the problems`, async () => {
        const result = await etl(['validate', file, '--json'])
        expect(result.code, result.stderr).to.equal(expected.exitCode)
        expect(result.stderr).to.not.match(STACK_LINE)
        const out = JSON.parse(result.stdout) as {
          valid: boolean
          code: string
          problems: (ExpectedProblem & {message: string})[]
        }
        expect(out.valid).to.equal(false)
        expect(out.code).to.equal(expected.code)
        expect(out.problems).to.be.an('array').with.length(expected.problems.length)
        for (const want of expected.problems) {
          const match = out.problems.find(
            (p) =>
              p.line === want.line &&
              (want.col === undefined || p.col === want.col) &&
              (want.path === undefined || p.path === want.path) &&
              (want.code === undefined || p.code === want.code),
          )
          expect(match, `${JSON.stringify(want)} among ${JSON.stringify(out.problems, null, 2)}`).to.not.equal(
            undefined,
          )
          if (want.messageIncludes) expect(match!.message).to.include(want.messageIncludes)
        }
      })
    }
  })

  it('pipelines/btc.yaml is valid: exit 0', async () => {
    const result = await etl(['validate', join(repo, 'pipelines', 'btc.yaml')])
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.match(
      /btc\.yaml: valid \(btc: source coingecko, 1 transform\(s\), 3 sink\(s\), 2 chart\(s\)\)/,
    )
    expect(result.stderr).to.not.match(STACK_LINE)
  })

  it('pipelines/btc.yaml --json: valid:true with the resolved stages', async () => {
    const result = await etl(['validate', join(repo, 'pipelines', 'btc.yaml'), '--json'])
    expect(result.code, result.stderr).to.equal(0)
    const out = JSON.parse(result.stdout) as {
      valid: boolean
      name: string
      kafka: {topic: string}
      stages: {kind: string; type: string}[]
    }
    expect(out.valid).to.equal(true)
    expect(out.name).to.equal('btc')
    expect(out.kafka.topic).to.equal('crypto_prices')
    expect(out.stages.map((s) => `${s.kind}/${s.type}`)).to.deep.equal([
      'source/coingecko',
      'transform/alert',
      'sink/csv',
      'sink/csv',
      'sink/stdout',
      'chart/vega-lite',
      'chart/vega-lite',
    ])
  })

  describe('secrets', () => {
    let dir: string

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'etl-validate-secret-'))
    })

    afterEach(async () => {
      await rm(dir, {recursive: true, force: true})
    })

    /** The key is used as apiKey, and also where an error message would quote it (an unknown plugin type). */
    function writeLeakyPipeline(variable: string): string {
      const file = join(dir, 'pipeline.yaml')
      writeFileSync(
        file,
        [
          'name: leaky',
          'source:',
          '  type: coingecko',
          `  apiKey: \${${variable}}`,
          '  coins: bitcoin',
          'sinks:',
          `  - type: \${${variable}}`,
          '  - type: csv',
          '    colums: [timestamp]',
          '',
        ].join('\n'),
      )
      return file
    }

    for (const json of [false, true]) {
      it(`an env secret used by an invalid file is never printed${json ? ' (--json)' : ''}`, async () => {
        const file = writeLeakyPipeline('SOME_KEY')
        const result = await etl(['validate', file, ...(json ? ['--json'] : [])], {
          cwd: dir,
          env: baseEnv({SOME_KEY: SECRET}),
        })
        expect(result.code, result.stderr).to.equal(2)
        const output = result.stdout + result.stderr
        expect(output).to.not.include(SECRET)
        expect(output).to.not.include('secret-value')
        expect(output).to.not.match(STACK_LINE)
        // The problems are still all reported, the secret replaced where a message would have quoted it.
        expect(output).to.include('source.coins')
        expect(output).to.include('sinks[1].colums')
        expect(output).to.match(/unknown sink plugin \\?"\*\*\*\\?"/)
        if (json) {
          const out = JSON.parse(result.stdout) as {valid: boolean; problems: {path: string}[]}
          expect(out.valid).to.equal(false)
          expect(out.problems.map((p) => p.path)).to.include.members([
            'source.coins',
            'sinks[0].type',
            'sinks[1].colums',
          ])
        } else {
          expect(result.stderr).to.match(/pipeline\.yaml:7:\d+ {2}sinks\[0\]\.type/)
        }
      })
    }

    it('a key given as apiKey is redacted even when its variable name does not look secret', async () => {
      const file = writeLeakyPipeline('MY_COINGECKO_ACCOUNT')
      const result = await etl(['validate', file, '--json'], {cwd: dir, env: baseEnv({MY_COINGECKO_ACCOUNT: SECRET})})
      expect(result.code, result.stderr).to.equal(2)
      expect(result.stdout + result.stderr).to.not.include(SECRET)
      expect(JSON.parse(result.stdout).valid).to.equal(false)
    })
  })
})
