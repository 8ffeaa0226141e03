import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {loadPipeline} from '../../../src/index.js'
import {ConfigError, formatProblem} from '../../../src/runtime/config/problems.js'
import {EtlError} from '../../../src/runtime/errors.js'
import type {ExpectedPipelineError} from '../../support/pipeline-fixtures.js'

const FIXTURES = join(import.meta.dirname, '../../fixtures/pipelines')

async function loadError(file: string): Promise<EtlError> {
  try {
    await loadPipeline(file, {env: {}})
  } catch (error) {
    return error as EtlError
  }
  throw new Error(`${file} loaded without error`)
}

describe('loadPipeline fixtures', () => {
  describe('invalid', () => {
    for (const name of readdirSync(join(FIXTURES, 'invalid'))) {
      it(`${name}: reports every expected problem at its position`, async () => {
        const dir = join(FIXTURES, 'invalid', name)
        const file = join(dir, 'pipeline.yaml')
        const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as ExpectedPipelineError
        const error = await loadError(file)
        expect(error.code).to.equal(expected.code)
        expect(error.exitCode).to.equal(expected.exitCode)
        expect(error).to.be.instanceOf(ConfigError)
        const problems = (error as ConfigError).problems
        expect(problems, problems.map(formatProblem).join('\n')).to.have.length(expected.problems.length)
        for (const want of expected.problems) {
          const match = problems.find(
            (p) =>
              p.line === want.line &&
              (want.col === undefined || p.col === want.col) &&
              (want.path === undefined || p.path === want.path) &&
              (want.code === undefined || p.code === want.code) &&
              (want.messageIncludes === undefined || p.message.includes(want.messageIncludes)),
          )
          expect(
            match,
            `expected ${JSON.stringify(want)} among:\n${problems.map(formatProblem).join('\n')}`,
          ).to.not.equal(undefined)
          expect(error.message).to.include(`${file}:${match!.line}:${match!.col}`)
        }
        expect(error.message).to.not.match(/\n\s+at /) // no stack frames in what users see
      })
    }
  })

  describe('valid', () => {
    for (const name of readdirSync(join(FIXTURES, 'valid'))) {
      it(`${name}: loads with the expected values`, async () => {
        const dir = join(FIXTURES, 'valid', name)
        const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'))
        const pipeline = await loadPipeline(join(dir, 'pipeline.yaml'), {env: {}})
        if (expected.name) expect(pipeline.name).to.equal(expected.name)
        if (expected.description) expect(pipeline.description).to.equal(expected.description)
        if (expected.kafka) expect(pipeline.kafka).to.include(expected.kafka)
        for (const [i, sink] of (expected.sinks ?? []).entries()) expect(pipeline.sinks[i].config).to.include(sink)
      })
    }
  })

  it('fills plugin defaults from the schema and derives names from the file', async () => {
    const pipeline = await loadPipeline(join(FIXTURES, 'valid/interpolated/pipeline.yaml'), {env: {}})
    expect(pipeline.kafka.groupId).to.equal('etl-interpolated')
    expect(pipeline.kafka.deadLetterTopic).to.equal('prices.dlq')
    expect(pipeline.sources[0]!.config.speed).to.equal(0)
    expect(pipeline.sources[0]!.config.limit).to.equal(10)
  })

  it('reads environment variables, and a set variable wins over the default', async () => {
    const pipeline = await loadPipeline(join(FIXTURES, 'valid/interpolated/pipeline.yaml'), {
      env: {ETL_TEST_SURELY_UNSET_PARTITIONS: '2', ETL_TEST_SURELY_UNSET_DIR: '/tmp/x'},
    })
    expect(pipeline.kafka.partitions).to.equal(2)
    expect(pipeline.sinks[0].config.path).to.equal('/tmp/x/prices.csv')
  })

  it('a missing file is ETL_CONFIG_READ with exit code 2', async () => {
    const error = await loadError(join(FIXTURES, 'does-not-exist.yaml'))
    expect(error.code).to.equal('ETL_CONFIG_READ')
    expect(error.exitCode).to.equal(2)
  })
})
