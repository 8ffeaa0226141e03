/** The programmatic API (`import … from 'etl'`) gives the same results and errors as the CLI. */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {createLogger, EtlError, runPipeline, validatePipeline} from '../src/index.js'
import {testBrokers} from './support/global-broker.js'
import {uniqueName} from './support/kafka-test-utils.js'
import {runEtl} from './support/run-cli.js'

describe('programmatic API (etl)', function () {
  this.timeout(120_000)

  it('validatePipeline reports the problems etl validate --json prints', async () => {
    const file = 'test/fixtures/pipelines/invalid/unknown-fields/pipeline.yaml'
    const result = await validatePipeline(file)
    expect(result.valid).to.equal(false)
    const cli = await runEtl(['validate', file, '--json'])
    expect(cli.code).to.equal(2)
    const printed = JSON.parse(cli.stdout) as {code: string; problems: unknown[]}
    if (result.valid) throw new Error('unreachable')
    expect(result.code).to.equal(printed.code)
    expect(JSON.parse(JSON.stringify(result.problems))).to.deep.equal(printed.problems)
    expect((await validatePipeline('pipelines/btc-replay.yaml')).valid).to.equal(true)
  })

  it('runPipeline runs a file through the real broker with the counts etl run prints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-api-'))
    const pipeline = (name: string) => {
      const file = join(dir, `${name}.yaml`)
      const topic = uniqueName('api-prices')
      const yaml =
        `name: ${uniqueName(name)}\nkafka: {topic: ${topic}}\nsource: {type: replay, limit: 20}\n` +
        `sinks:\n  - {type: csv, path: ${join(dir, `${name}.csv`)}, columns: [timestamp, price_usd]}\n`
      writeFileSync(file, yaml)
      return file
    }
    const logs: string[] = []
    const result = await runPipeline(pipeline('api'), {
      brokers: testBrokers().join(','),
      localBroker: false,
      stateRoot: join(dir, '.etl'),
      logger: createLogger('etl', {write: (line) => logs.push(line)}),
    })
    expect(result.counts['source replay']).to.include({produced: 20})
    expect(result.counts['sink csv']).to.include({written: 20})
    expect(readFileSync(join(dir, 'api.csv'), 'utf8').trim().split('\n')).to.have.length(21)

    const env = {...process.env, ETL_STATE_DIR: join(dir, '.etl-cli')}
    const cli = await runEtl(['run', pipeline('cli'), '--brokers', testBrokers().join(','), '--no-local-broker'], {
      cwd: dir,
      env,
    })
    expect(cli.code, cli.stderr).to.equal(0)
    for (const [scope, events] of Object.entries(result.counts)) {
      for (const [event, count] of Object.entries(events)) {
        if (scope === 'process' && event === 'skipped_already_processed') continue
        expect(cli.stderr).to.match(new RegExp(`\\n  ${scope} ${event} +${count}\\n`), `${scope} ${event}`)
      }
    }
  })

  it('runPipeline rejects with the error etl run prints', async () => {
    const options = {brokers: '127.0.0.1:1', localBroker: false, logger: createLogger('etl', {write: () => {}})}
    const error = await runPipeline('pipelines/btc-replay.yaml', options).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).to.be.instanceOf(EtlError)
    expect((error as EtlError).code).to.equal('ETL_KAFKA_UNREACHABLE')
    const cli = await runEtl(['run', 'pipelines/btc-replay.yaml', '--brokers', '127.0.0.1:1', '--no-local-broker'])
    expect(cli.code).to.equal(1)
    expect(cli.stderr).to.include(`ETL_KAFKA_UNREACHABLE: ${(error as EtlError).message}`)
  })
})
