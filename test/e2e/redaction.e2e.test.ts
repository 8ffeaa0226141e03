/**
 * End to end: a CoinGecko API key never reaches the user's terminal, whichever way it was given (a literal `apiKey`
 * in the file, `${COINGECKO_API_KEY}`, or only the environment) and whatever is printed: `etl validate` (text and
 * --json), `etl plugins --pipeline … --json`, and `etl run` failing on a 401 whose body quotes the key back, with
 * debug logs on, in text and JSON log formats.
 */
import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {startFakeCoinGecko, type FakeCoinGecko} from '../support/fake-coingecko.js'
import {uniqueName} from '../support/kafka-test-utils.js'
import {buildCli, runEtl, type CliResult} from '../support/run-cli.js'

const KEY = 'CG-redactMe-7f3a9c2e41'

describe('API keys are redacted everywhere (CLI)', function () {
  this.timeout(120_000)
  let dir: string
  let fake: FakeCoinGecko | undefined

  before(buildCli)

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-redaction-'))
  })

  afterEach(async () => {
    await fake?.close()
    fake = undefined
    await rm(dir, {recursive: true, force: true})
  })

  function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const base: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ETL_STATE_DIR: join(dir, '.etl')}
    for (const name of ['ETL_DEBUG', 'COINGECKO_API_KEY', 'COINGECKO_BASE_URL', 'ETL_LOG_LEVEL', 'ETL_LOG_FORMAT'])
      delete base[name]
    return {...base, ...extra}
  }

  /** A pipeline polling `baseUrl` with the key given as `apiKey` (a literal or a ${...}), or not at all. */
  function pipeline(apiKey: string | undefined, baseUrl = 'http://127.0.0.1:9/api/v3'): string {
    const file = join(dir, 'pipeline.yaml')
    const topic = uniqueName('etl-redaction')
    writeFileSync(
      file,
      [
        'name: redaction',
        `kafka: {topic: ${topic}, groupId: ${uniqueName('etl-redaction-group')}}`,
        'source:',
        '  type: coingecko',
        '  coins: [bitcoin]',
        `  baseUrl: ${baseUrl}`,
        '  interval: 200ms',
        ...(apiKey === undefined ? [] : [`  apiKey: "${apiKey}"`]),
        'sinks:',
        '  - type: stdout',
        '',
      ].join('\n'),
    )
    return file
  }

  const expectNoKey = (result: CliResult, what: string) => {
    const output = result.stdout + result.stderr
    expect(output, `${what} printed the key`).to.not.include(KEY)
    expect(output, `${what} printed part of the key`).to.not.include(KEY.slice(3, 15))
  }

  const ways = [
    {title: 'a literal apiKey', apiKey: KEY, extra: {}},
    {title: 'apiKey: ${COINGECKO_API_KEY}', apiKey: '${COINGECKO_API_KEY}', extra: {COINGECKO_API_KEY: KEY}},
  ]
  for (const {title, apiKey, extra} of ways) {
    it(`${title}: etl validate (text, --json) and etl plugins --pipeline --json never show it`, async () => {
      const file = pipeline(apiKey)
      const [text, json, plugins] = await Promise.all([
        runEtl(['validate', file], {cwd: dir, env: env(extra)}),
        runEtl(['validate', file, '--json'], {cwd: dir, env: env(extra)}),
        runEtl(['plugins', '--pipeline', file, '--json'], {cwd: dir, env: env(extra)}),
      ])
      for (const [what, result] of [
        ['validate', text],
        ['validate --json', json],
        ['plugins', plugins],
      ] as const) {
        expect(result.code, `${what}: ${result.stderr}`).to.equal(0)
        expectNoKey(result, what)
      }
      const out = JSON.parse(json.stdout) as {stages: {kind: string; config: {apiKey?: string}}[]}
      expect(out.stages.find((s) => s.kind === 'source')!.config.apiKey, 'the field is shown, masked').to.equal('***')
    })
  }

  it('an invalid file with the key in it: validate (text and --json) reports the problems without it', async () => {
    const file = pipeline(KEY)
    writeFileSync(file, `${readFileSync(file, 'utf8')}  - type: "${KEY}"\n`)
    const [text, json] = await Promise.all([
      runEtl(['validate', file], {cwd: dir, env: env()}),
      runEtl(['validate', file, '--json'], {cwd: dir, env: env()}),
    ])
    expect([text.code, json.code]).to.deep.equal([2, 2])
    expect(text.stderr).to.include('unknown sink plugin "***"')
    expectNoKey(text, 'validate')
    expectNoKey(json, 'validate --json')
  })

  const runs = [
    {title: 'literal apiKey, text debug logs', apiKey: KEY, extra: {}},
    {
      title: '${COINGECKO_API_KEY}, JSON debug logs',
      apiKey: '${COINGECKO_API_KEY}',
      extra: {COINGECKO_API_KEY: KEY, ETL_LOG_FORMAT: 'json'},
    },
    {
      title: 'only COINGECKO_API_KEY in the environment, text debug logs',
      apiKey: undefined,
      extra: {COINGECKO_API_KEY: KEY},
    },
  ]
  for (const {title, apiKey, extra} of runs) {
    const runTitle =
      `etl run against a 401 that quotes the key back (${title}): ETL_SOURCE_PERMANENT, ` + 'the key never shown'
    it(runTitle, async () => {
      fake = await startFakeCoinGecko()
      fake.enqueue({status: 401, echoKey: true})
      const file = pipeline(apiKey, fake.baseUrl)
      const result = await runEtl(['run', file], {cwd: dir, env: env({...extra, ETL_LOG_LEVEL: 'debug'})})
      expect(result.code, result.stderr.slice(-3000)).to.equal(1)
      const polls = fake.requests.filter((r) => r.path === '/simple/price')
      expect(polls, 'the key reached the API (so there was something to leak)').to.have.length(1)
      expect(polls[0].headers['x-cg-demo-api-key']).to.equal(KEY)
      expect(result.stderr).to.include('ETL_SOURCE_PERMANENT')
      expect(result.stderr, "the API's message is quoted, masked").to.include('Invalid API Key: ***')
      expect(result.stderr, 'debug logs were on').to.match(/DEBUG|"level":"debug"/)
      expectNoKey(result, 'run')
    })
  }
})
