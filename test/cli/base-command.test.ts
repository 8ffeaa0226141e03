/**
 * EtlCommand, the base of every command: how a failure ends a command (text on stderr or --json on stdout, the exit
 * code, no stack trace), checked on small commands of its own in this process. The e2e tests of each command check
 * the same through the real binary.
 */
import {Errors, Flags} from '@oclif/core'
import {expect} from 'chai'
import {EtlCommand} from '../../src/cli/base-command.js'
import {renderUsageError, type RenderedError} from '../../src/runtime/cli-errors.js'
import {EtlError} from '../../src/runtime/errors.js'
import {registerSecret} from '../../src/runtime/logger.js'
import {REPO} from '../support/run-cli.js'

/** What the command threw out of oclif (an ExitError carrying the exit code), and what it printed. */
interface Outcome {
  exitCode: number | undefined
  thrown: unknown
  stdout: string
  stderr: string
}

let failure: unknown

class Failing extends EtlCommand {
  static override enableJsonFlag = true
  static override flags = {count: Flags.integer({description: 'a flag oclif parses'})}

  async run(): Promise<{ok: true}> {
    await this.parse(Failing)
    if (failure !== undefined) throw failure
    return {ok: true}
  }
}

class UsageFailing extends Failing {
  protected override renderError(error: unknown): RenderedError {
    return error instanceof RangeError ? renderUsageError(error.message) : super.renderError(error)
  }
}

class CustomJson extends Failing {
  protected override errorJson(error: EtlError): unknown {
    return {valid: false, code: error.code}
  }
}

async function outcome(command: typeof Failing, argv: string[], error?: unknown): Promise<Outcome> {
  failure = error
  const out = {stdout: '', stderr: ''}
  const writes = {stdout: process.stdout.write, stderr: process.stderr.write}
  const capture = (stream: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      out[stream] += chunk.toString()
      const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined
      done?.()
      return true
    }) as typeof process.stdout.write
  process.stdout.write = capture('stdout')
  process.stderr.write = capture('stderr')
  try {
    await command.run(argv, REPO)
    return {exitCode: undefined, thrown: undefined, ...out}
  } catch (thrown) {
    const exitCode = (thrown as {oclif?: {exit?: number}}).oclif?.exit
    return {exitCode, thrown, ...out}
  } finally {
    process.stdout.write = writes.stdout
    process.stderr.write = writes.stderr
  }
}

describe('EtlCommand', function () {
  this.timeout(30_000)
  const previousDebug = process.env.ETL_DEBUG

  before(() => delete process.env.ETL_DEBUG)
  after(() => {
    if (previousDebug !== undefined) process.env.ETL_DEBUG = previousDebug
  })

  it('an EtlError: its code and message on stderr, its exit code, no stack trace', async () => {
    const result = await outcome(Failing, [], new EtlError('ETL_KAFKA', 'the broker went away', {exitCode: 3}))
    expect(result.thrown).to.be.instanceOf(Errors.ExitError)
    expect(result.exitCode).to.equal(3)
    expect(result.stderr).to.equal('ETL_KAFKA: the broker went away\n')
    expect(result.stdout).to.equal('')
  })

  it('ETL_CONFIG_INVALID prints its problems without the code (they carry their own)', async () => {
    const error = new EtlError('ETL_CONFIG_INVALID', 'a.yaml: 1 problem\na.yaml:1:1  name  required', {exitCode: 2})
    const result = await outcome(Failing, [], error)
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.equal('a.yaml: 1 problem\na.yaml:1:1  name  required\n')
  })

  it('anything else is ETL_INTERNAL, exit 1, without the stack', async () => {
    const result = await outcome(Failing, [], new TypeError('x is not a function'))
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.equal('ETL_INTERNAL: x is not a function\n')
    expect(result.stderr).to.not.match(/^\s+at /m)
  })

  it('--json: an EtlError is JSON on stdout, nothing on stderr, with its exit code', async () => {
    const result = await outcome(Failing, ['--json'], new EtlError('ETL_BROKER_SETUP', 'port 9092 is taken'))
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.equal('')
    expect(JSON.parse(result.stdout)).to.deep.equal({
      error: {code: 'ETL_BROKER_SETUP', message: 'port 9092 is taken', exitCode: 1},
    })
  })

  it('--json: a command can give its errors a shape of its own', async () => {
    const result = await outcome(CustomJson, ['--json'], new EtlError('ETL_CONFIG_READ', 'no such file', {exitCode: 2}))
    expect(result.exitCode).to.equal(2)
    expect(JSON.parse(result.stdout)).to.deep.equal({valid: false, code: 'ETL_CONFIG_READ'})
  })

  it('--json: a successful run prints its result', async () => {
    const result = await outcome(Failing, ['--json'])
    expect(result.thrown).to.equal(undefined)
    expect(JSON.parse(result.stdout)).to.deep.equal({ok: true})
  })

  it('every secret the run knows of is masked, in text and in JSON', async () => {
    registerSecret('cli-command-test-secret-4711')
    const error = new EtlError('ETL_KAFKA', 'refused key cli-command-test-secret-4711')
    const [text, json] = [await outcome(Failing, [], error), await outcome(Failing, ['--json'], error)]
    expect(text.stderr).to.equal('ETL_KAFKA: refused key ***\n')
    expect(JSON.parse(json.stdout).error.message).to.equal('refused key ***')
  })

  it('a command renders an error of its own as a usage error: exit 2, one line', async () => {
    const result = await outcome(UsageFailing, [], new RangeError('"Upper" is not a valid name'))
    expect(result.exitCode).to.equal(2)
    expect(result.stderr).to.equal('Error: "Upper" is not a valid name\n')
  })

  it("oclif's own errors reach oclif's handler unchanged, also with --json", async () => {
    for (const argv of [
      ['--count', 'many'],
      ['--count', 'many', '--json'],
    ]) {
      const result = await outcome(Failing, argv)
      expect(result.thrown, argv.join(' ')).to.be.instanceOf(Errors.CLIError)
      expect(result.exitCode, argv.join(' ')).to.equal(2)
      expect(result.stdout + result.stderr, argv.join(' ')).to.equal('')
    }
  })
})
