/**
 * Every example in the README's "Writing a plugin" (code blocks whose info string names a file) runs: the plugins
 * type-check against etl's published types (etl/sdk, etl/testing), their mocha tests pass, and the pipeline that uses
 * one validates, passes its `etl test` file and runs through the real broker.
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {expect} from 'chai'
import ts from 'typescript'
import {testBrokers} from '../support/global-broker.js'
import {uniqueName} from '../support/kafka-test-utils.js'
import {REPO, runEtl} from '../support/run-cli.js'

interface Example {
  file: string
  text: string
}

function readmeExamples(): Example[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8')
  const section = readme.slice(
    readme.indexOf('## Writing a plugin'),
    readme.indexOf('\n## ', readme.indexOf('## Writing a plugin') + 3),
  )
  return [...section.matchAll(/```\w+ file=(\S+)\n([\s\S]*?)```/g)].map(([, file, text]) => ({file, text}))
}

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, {cwd, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  return {code: result.status, output: `${result.stdout}\n${result.stderr}`}
}

describe('README: Writing a plugin', function () {
  this.timeout(180_000)
  const examples = readmeExamples()
  let dir: string

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'etl-readme-'))
    for (const {file, text} of examples) {
      mkdirSync(dirname(join(dir, file)), {recursive: true})
      writeFileSync(join(dir, file), text)
    }
    // What `npm install etl chai @types/…` gives a plugin project, linked from this checkout (built by pretest).
    mkdirSync(join(dir, 'node_modules'))
    for (const name of ['chai', 'tsx', '@types'])
      symlinkSync(join(REPO, 'node_modules', name), join(dir, 'node_modules', name))
    symlinkSync(REPO, join(dir, 'node_modules', 'etl'))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({name: 'readme-examples', private: true, type: 'module'}))
  })

  it('has the examples it promises: two plugins with their tests, a pipeline and its test', () => {
    expect(examples.map((example) => example.file)).to.deep.equal([
      'my-plugins/upper.ts',
      'my-plugins/upper.test.ts',
      'pipeline.yaml',
      'pipeline.test.yaml',
      'my-plugins/ticks.ts',
      'my-plugins/ticks.test.ts',
    ])
  })

  it('the plugins and tests type-check against etl/sdk and etl/testing', () => {
    const compilerOptions = {
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      target: 'ES2023',
      strict: true,
      noEmit: true,
      types: ['node', 'mocha'],
    }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({compilerOptions, include: ['my-plugins/*.ts']}))
    const {code, output} = run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', dir], dir)
    expect(code, output).to.equal(0)
  })

  it('their mocha tests pass, using etl/testing', () => {
    const mocha = join(REPO, 'node_modules/mocha/bin/mocha.js')
    const {code, output} = run(process.execPath, ['--import', 'tsx', mocha, 'my-plugins/*.test.ts'], dir)
    expect(code, output).to.equal(0)
    expect(output).to.match(/\b2 passing\b/)
  })

  it('the pipeline using the compiled plugin validates, passes its etl test, and runs through Kafka', async () => {
    for (const name of ['upper', 'ticks']) {
      const source = readFileSync(join(dir, `my-plugins/${name}.ts`), 'utf8')
      const js = ts.transpileModule(source, {
        compilerOptions: {module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023},
      })
      writeFileSync(join(dir, `my-plugins/${name}.js`), js.outputText)
    }
    const env = {...process.env, ETL_STATE_DIR: join(dir, '.etl')}
    const validated = await runEtl(['validate', 'pipeline.yaml'], {cwd: dir, env})
    expect(validated.code, validated.stderr).to.equal(0)
    const tested = await runEtl(['test', 'pipeline.test.yaml'], {cwd: dir, env})
    expect(tested.code, tested.stdout + tested.stderr).to.equal(0)
    expect(tested.stdout).to.include('1 passed, 0 failed')

    const pipeline = readFileSync(join(dir, 'pipeline.yaml'), 'utf8').replace(
      'name: upper-demo',
      `name: ${uniqueName('upper-demo')}`,
    )
    writeFileSync(join(dir, 'pipeline.yaml'), `${pipeline}kafka: {topic: ${uniqueName('readme-upper')}}\n`)
    const ran = await runEtl(['run', 'pipeline.yaml', '--brokers', testBrokers().join(','), '--no-local-broker'], {
      cwd: dir,
      env,
    })
    expect(ran.code, ran.stderr).to.equal(0)
    const records = ran.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(records).to.have.length(10)
    expect(records.every((record) => record.source === 'REPLAY')).to.equal(true)
    expect(ran.stderr).to.match(/sink stdout written +10\n/)
  })
})
