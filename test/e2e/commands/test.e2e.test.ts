import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {REPO, runEtl} from '../../support/run-cli.js'

describe('etl test (end to end)', () => {
  it("passes the shipped pipelines' tests: exit 0, one line per test", async () => {
    const {code, stdout, stderr} = await runEtl(['test', 'pipelines/btc.test.yaml', 'pipelines/btc-replay.test.yaml'])
    expect(code, stderr).to.equal(0)
    expect(stdout).to.include('pipelines/btc.test.yaml (pipelines/btc.yaml)')
    expect(stdout).to.include('  ✔ a 5 % rise within an hour raises one alert, routed to the alerts CSV only')
    expect(stdout).to.match(/7 test\(s\) in 2 file\(s\): 7 passed, 0 failed\n$/)
  })

  it('a broken expectation: exit 1, a diff naming the record and the field, ETL_TEST_FAILED', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etl-test-cli-'))
    const shipped = await readFile(join(REPO, 'pipelines/btc-replay.test.yaml'), 'utf8')
    const broken = shipped
      .replace('pipeline: btc-replay.yaml', `pipeline: ${join(REPO, 'pipelines/btc-replay.yaml')}`)
      .replace('range_pct: 2.88', 'range_pct: 2.9')
    expect(broken).to.not.equal(shipped)
    await writeFile(join(dir, 'broken.test.yaml'), broken)
    const {code, stdout, stderr} = await runEtl(['test', 'broken.test.yaml'], {cwd: dir})
    expect(code).to.equal(1)
    expect(stdout).to.include("  ✘ map adds the day's range in percent, rounded to two decimals")
    expect(stdout).to.include('the output of the transforms (step 2, map), expected at broken.test.yaml:')
    expect(stdout).to.match(/record 2 \(line \d+\): range_pct: expected 2\.9, got 2\.88\n/)
    expect(stdout).to.include('3 test(s) in 1 file(s): 2 passed, 1 failed')
    expect(stderr).to.equal('ETL_TEST_FAILED: 1 of 3 pipeline test(s) failed\n')
  })

  it('an invalid test file: exit 2, every problem as file:line:col, no stack trace', async () => {
    const {code, stdout, stderr} = await runEtl(['test', 'test/fixtures/pipeline-tests/invalid/problems.test.yaml'])
    expect(code).to.equal(2)
    expect(stdout).to.equal('')
    expect(stderr).to.include('test/fixtures/pipeline-tests/invalid/problems.test.yaml: 2 problems')
    expect(stderr).to.include(
      'test/fixtures/pipeline-tests/invalid/problems.test.yaml:7:36  tests[0].expect.colour  unknown field',
    )
    expect(stderr).to.not.match(/\n\s+at /)
  })

  it('without arguments runs every *.test.yaml under the working directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etl-test-cli-'))
    const tests =
      'steps:\n  - {type: filter, where: "x > 1"}\n' +
      'tests:\n  - name: keeps x = 2\n    input: [{x: 1}, {x: 2}]\n    expect: {records: [{x: 2}]}\n'
    await writeFile(join(dir, 'a.test.yaml'), tests)
    const {code, stdout, stderr} = await runEtl(['test'], {cwd: dir})
    expect(code, stderr).to.equal(0)
    expect(stdout).to.match(
      new RegExp(
        String.raw`^a\.test\.yaml \(inline steps\)\n {2}✔ keeps x = 2 \(\d+ ms\)\n` +
          String.raw`1 test\(s\) in 1 file\(s\): 1 passed, 0 failed\n$`,
      ),
    )
  })
})
