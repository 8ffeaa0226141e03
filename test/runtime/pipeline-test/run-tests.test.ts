import {expect} from 'chai'
import {ConfigError, runPipelineTests, type TestRun} from '../../../src/index.js'

const FIXTURES = 'test/fixtures/pipeline-tests'

const failuresOf = (run: TestRun) =>
  run.files.flatMap((file) => file.cases.map((result) => ({name: result.name, failures: result.failures})))

describe('pipeline tests (etl test)', () => {
  it('runs windows, watermarks, late records, partitions, flush and batches through the real transforms', async () => {
    const run = await runPipelineTests([`${FIXTURES}/passing`])
    expect(failuresOf(run).filter((result) => result.failures.length > 0)).to.deep.equal([])
    expect(run.passed).to.equal(8)
    expect(run.files.map((file) => file.file)).to.deep.equal([
      `${FIXTURES}/passing/candles.test.yaml`,
      `${FIXTURES}/passing/update-and-drop.test.yaml`,
    ])
  })

  it('passes the tests shipped with the pipelines', async () => {
    const run = await runPipelineTests(['pipelines'])
    expect(run.failed, JSON.stringify(failuresOf(run), null, 2)).to.equal(0)
    expect(run.passed).to.be.at.least(7)
  })

  it('names the record and field of every difference, and dead letters nobody expected', async () => {
    const run = await runPipelineTests([`${FIXTURES}/failing/wrong-expectations.test.yaml`])
    expect(run).to.include({passed: 0, failed: 3})
    const [first, second, third] = failuresOf(run)
    const file = `${FIXTURES}/failing/wrong-expectations.test.yaml`
    expect(first.failures).to.deep.equal([
      {
        heading: `the output of the transforms (step 2, filter), expected at ${file}:15:7:`,
        lines: [
          'expected 3 record(s), got 2',
          'record 1 (line 16): triple: expected 18, got no such field',
          'record 2 (line 17): double: expected 15, got 14',
          'record 3 (line 18): expected {"double":16}, got no record',
        ],
      },
    ])
    expect(second.failures).to.deep.equal([
      {
        heading: `step 1 (map), expected at ${file}:24:9:`,
        lines: ['record 1 (line 27): price_usd: not expected, got 6'],
      },
    ])
    expect(third.failures).to.have.length(1)
    expect(third.failures[0].heading).to.equal('dead letters, none expected (the test has no deadLetters:):')
    expect(third.failures[0].lines[1]).to.match(
      /^dead letter 1: not expected, got ETL_RECORD_INVALID by decode \(partition 0\): value is not JSON/,
    )
  })

  it('refuses an invalid test file with every problem at file:line:col, steps included', async () => {
    const problemsOf = async (name: string) => {
      try {
        await runPipelineTests([`${FIXTURES}/invalid/${name}`])
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError)
        expect((error as ConfigError).exitCode).to.equal(2)
        return (error as ConfigError).problems.map((p) => `${p.line}:${p.col} ${p.path} ${p.message}`)
      }
      throw new Error(`${name} was accepted`)
    }
    expect(await problemsOf('problems.test.yaml')).to.deep.equal([
      '3:11 steps[0].size has the wrong form — expected: Length of each window. ' +
        'A number of seconds, or a number with a unit: ms, s, m, h, d.',
      '7:36 tests[0].expect.colour unknown field (known fields: step, sink, records, count, match, tolerance)',
    ])
    expect(await problemsOf('unknown-targets.test.yaml')).to.deep.equal([
      '5:44 tests[0].input[0].partition partition must be an integer from 0 to 2',
      '6:52 tests[0].input[1].key give partition or key, not both',
      '8:16 tests[0].expect[0].step no step "ohlc" in the pipeline (steps: 1 alert)',
      '9:16 tests[0].expect[1].sink no sink "parquet" in the pipeline (sinks: 1 csv, 2 csv "alerts", 3 stdout)',
      '10:9 tests[0].expect[2] an expectation needs records: or count:',
    ])
  })

  it('says when a folder holds no tests', async () => {
    try {
      await runPipelineTests(['test/fixtures/plugins'])
      expect.fail('ran without tests')
    } catch (error) {
      expect((error as ConfigError).code).to.equal('ETL_CONFIG_READ')
      expect((error as Error).message).to.include('no pipeline tests (*.test.yaml) under test/fixtures/plugins')
    }
  })
})
