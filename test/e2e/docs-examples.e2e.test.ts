/**
 * The examples of docs/TESTING.md run: its `etl test` file passes, and its etl/testing test file type-checks against
 * etl's published types and passes under mocha.
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {REPO, runEtl} from '../support/run-cli.js'

function examples(doc: string): Map<string, string> {
  const text = readFileSync(join(REPO, doc), 'utf8')
  return new Map([...text.matchAll(/```\w+ file=(\S+)\n([\s\S]*?)```/g)].map(([, file, body]) => [file, body]))
}

function run(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, args, {cwd, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  return {code: result.status, output: `${result.stdout}\n${result.stderr}`}
}

describe('docs/TESTING.md examples', function () {
  this.timeout(120_000)
  const files = examples('docs/TESTING.md')
  let dir: string

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'etl-docs-'))
    for (const [file, body] of files) writeFileSync(join(dir, file), body)
    mkdirSync(join(dir, 'node_modules'))
    for (const name of ['chai', 'tsx', '@types'])
      symlinkSync(join(REPO, 'node_modules', name), join(dir, 'node_modules', name))
    symlinkSync(REPO, join(dir, 'node_modules', 'etl'))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({name: 'docs-examples', private: true, type: 'module'}))
  })

  it('holds an etl test file and an etl/testing test file', () => {
    expect([...files.keys()]).to.deep.equal(['candles.test.yaml', 'kit.test.ts'])
  })

  it('the etl test example passes', async () => {
    const {code, stdout, stderr} = await runEtl(['test', 'candles.test.yaml'], {cwd: dir})
    expect(code, stdout + stderr).to.equal(0)
    expect(stdout).to.include('3 test(s) in 1 file(s): 3 passed, 0 failed')
  })

  it('the etl/testing example type-checks and passes', () => {
    const compilerOptions = {
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      target: 'ES2023',
      strict: true,
      noEmit: true,
      types: ['node', 'mocha'],
    }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({compilerOptions, include: ['*.ts']}))
    const typecheck = run([join(REPO, 'node_modules/typescript/bin/tsc'), '-p', dir], dir)
    expect(typecheck.code, typecheck.output).to.equal(0)
    const mocha = run(['--import', 'tsx', join(REPO, 'node_modules/mocha/bin/mocha.js'), 'kit.test.ts'], dir)
    expect(mocha.code, mocha.output).to.equal(0)
    expect(mocha.output).to.match(/\b5 passing\b/)
  })
})
