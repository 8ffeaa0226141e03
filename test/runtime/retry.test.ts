import {Ajv} from 'ajv'
import {expect} from 'chai'
import {EtlError} from '../../src/runtime/errors.js'
import {createLogger} from '../../src/runtime/logger.js'
import {
  DEFAULT_SINK_RETRY,
  DEFAULT_SOURCE_RETRY,
  retryDelay,
  retryPolicyFrom,
  retryPolicySchema,
  sleep,
  withRetry,
  type RetryPolicy,
  type WithRetryOptions,
} from '../../src/runtime/retry.js'

const policy = (maxAttempts: number, initialDelayMs = 100, maxDelayMs = 10_000): RetryPolicy => ({
  maxAttempts,
  initialDelayMs,
  maxDelayMs,
})

/** An operation that fails `failures` times with `error`, then returns 'ok'; `calls` counts every attempt. */
function failing(failures: number, error: () => unknown = () => new Error('storage busy')) {
  const state = {calls: 0}
  const operation = async () => {
    state.calls += 1
    if (state.calls <= failures) throw error()
    return 'ok'
  }
  return {state, operation}
}

function options(extra: Partial<WithRetryOptions> = {}) {
  const lines: string[] = []
  const waits: number[] = []
  const counts = new Map<string, number>()
  const opts: WithRetryOptions = {
    describe: 'flush',
    logger: createLogger('test', {write: (line) => lines.push(line), level: 'debug'}),
    count: (event, amount = 1) => void counts.set(event, (counts.get(event) ?? 0) + amount),
    // Records the waits instead of sleeping them, so the schedule itself is what is checked.
    sleep: async (ms) => void waits.push(ms),
    ...extra,
  }
  return {opts, lines, waits, counts}
}

describe('retryDelay', () => {
  it('doubles its upper bound per attempt, starting at twice initialDelay', () => {
    const top = [1, 2, 3, 4, 5, 6].map((attempt) => retryDelay(attempt, policy(0), () => 1))
    expect(top).to.deep.equal([200, 400, 800, 1600, 3200, 6400])
  })

  it('never waits less than initialDelay (the jitter floor)', () => {
    expect([1, 2, 5, 10].map((attempt) => retryDelay(attempt, policy(0), () => 0))).to.deep.equal([100, 100, 100, 100])
  })

  it('caps every wait at maxDelay, also when initialDelay is above it', () => {
    expect(retryDelay(8, policy(0), () => 1)).to.equal(10_000)
    expect(retryDelay(60, policy(0), () => 1)).to.equal(10_000) // 2^60 must not overflow into nonsense
    expect(retryDelay(1, policy(0, 5000, 1000), () => 0)).to.equal(1000)
    expect(retryDelay(3, policy(0, 5000, 1000), () => 1)).to.equal(1000)
  })

  it('spreads waits over the whole jitter range [initialDelay, bound]', () => {
    const samples = Array.from({length: 2000}, () => retryDelay(4, policy(0)))
    expect(Math.min(...samples)).to.be.at.least(100)
    expect(Math.max(...samples)).to.be.at.most(1600)
    // Full jitter: both ends of the range are reached, not a narrow band around one value.
    expect(samples.filter((ms) => ms < 400).length).to.be.above(100)
    expect(samples.filter((ms) => ms > 1300).length).to.be.above(100)
  })
})

describe('withRetry', () => {
  it('retries passing failures with growing waits, logs and counts each retry, then returns the result', async () => {
    const {operation, state} = failing(3)
    const {opts, lines, waits, counts} = options({random: () => 1, retryEvent: 'sink_retry'})
    expect(await withRetry(operation, policy(5), opts)).to.equal('ok')
    expect(state.calls).to.equal(4)
    expect(waits).to.deep.equal([200, 400, 800])
    expect(counts.get('sink_retry')).to.equal(3)
    const warnings = lines.filter((line) => line.includes('WARN'))
    expect(warnings).to.have.length(3)
    expect(warnings[0])
      .to.include('flush failed: storage busy; retrying in 200ms')
      .and.include('attempt=1')
      .and.include('maxAttempts=5')
    expect(warnings[2]).to.include('attempt=3')
    expect(lines.some((line) => line.includes('flush: succeeded at attempt 4'))).to.equal(true)
  })

  it('gives up after maxAttempts with the attempt count and the last error in the message', async () => {
    const {operation, state} = failing(Infinity)
    const {opts, waits} = options()
    const error = (await withRetry(operation, policy(3), opts).catch((e: unknown) => e)) as Error
    expect(state.calls).to.equal(3)
    expect(waits).to.have.length(2)
    expect(error.message).to.equal('flush failed 3 times in a row (retry.maxAttempts 3); last error: storage busy')
    expect((error.cause as Error).message).to.equal('storage busy')
  })

  it('keeps the code of an EtlError it gives up on', async () => {
    const {operation} = failing(Infinity, () => new EtlError('ETL_SOURCE_HTTP', 'HTTP 503 server error'))
    const error = (await withRetry(operation, policy(2), options().opts).catch((e: unknown) => e)) as EtlError
    expect(error).to.be.instanceOf(EtlError)
    expect(error.code).to.equal('ETL_SOURCE_HTTP')
    expect(error.message).to.match(/failed 2 times in a row.*last error: HTTP 503 server error/)
  })

  const permanent: [string, () => unknown][] = [
    ['ETL_SOURCE_PERMANENT (a 401)', () => new EtlError('ETL_SOURCE_PERMANENT', 'HTTP 401: the API key is invalid')],
    ['ETL_CONFIG_INVALID', () => new EtlError('ETL_CONFIG_INVALID', 'bad setting')],
    [
      'a plain error whose code is ETL_SINK_PERMANENT (a third-party plugin)',
      () => Object.assign(new Error('quota gone'), {code: 'ETL_SINK_PERMANENT'}),
    ],
  ]
  for (const [title, make] of permanent) {
    it(`rethrows ${title} at once, unchanged, even with unlimited attempts`, async () => {
      const thrown = make()
      const {operation, state} = failing(Infinity, () => thrown)
      const {opts, waits, counts} = options()
      const error = await withRetry(operation, policy(0), opts).catch((e: unknown) => e)
      expect(error).to.equal(thrown)
      expect(state.calls).to.equal(1)
      expect(waits).to.deep.equal([])
      expect(counts.size).to.equal(0)
    })
  }

  it('lets the caller decide what is permanent', async () => {
    const {operation, state} = failing(Infinity, () => new Error('HTTP 404'))
    const error = await withRetry(
      operation,
      policy(0),
      options({isPermanent: (e) => /404/.test(String(e))}).opts,
    ).catch((e: unknown) => e)
    expect((error as Error).message).to.equal('HTTP 404')
    expect(state.calls).to.equal(1)
  })

  it('with unlimited attempts, stops retrying once the signal aborts, even in the middle of a wait', async function () {
    this.timeout(20_000)
    const controller = new AbortController()
    const {operation, state} = failing(Infinity)
    // A real sleep after the third attempt, ten minutes long: only the abort can end it within the test's timeout.
    const {opts} = options({
      signal: controller.signal,
      sleep: (_ms, signal) => (state.calls < 3 ? Promise.resolve() : sleep(600_000, signal)),
    })
    const running = withRetry(
      async (attempt) => {
        if (attempt === 3) setTimeout(() => controller.abort(), 20)
        return operation()
      },
      policy(0),
      opts,
    )
    const error = (await running.catch((e: unknown) => e)) as Error
    expect(state.calls).to.equal(3)
    expect(error.message).to.equal('flush failed 3 times; not retrying while shutting down; last error: storage busy')
  })

  it('a finite policy runs out its attempts even while the pipeline shuts down (the batch may land)', async () => {
    const controller = new AbortController()
    controller.abort()
    const {operation, state} = failing(2)
    const {opts, waits} = options({signal: controller.signal, random: () => 0})
    expect(await withRetry(operation, policy(3), opts)).to.equal('ok')
    expect(state.calls).to.equal(3)
    expect(waits).to.deep.equal([100, 100])
  })

  it('always makes the first attempt, also with an aborted signal', async () => {
    const controller = new AbortController()
    controller.abort()
    expect(await withRetry(async () => 'flushed', policy(0), options({signal: controller.signal}).opts)).to.equal(
      'flushed',
    )
  })
})

describe('retry policy config', () => {
  const ajv = new Ajv({strict: true, useDefaults: true, strictTypes: false, allowUnionTypes: true})

  it("has a strict, documented schema per kind whose defaults are the kind's policy", () => {
    for (const defaults of [DEFAULT_SOURCE_RETRY, DEFAULT_SINK_RETRY]) {
      const schema = retryPolicySchema(defaults)
      const validate = ajv.compile(schema)
      const config: Record<string, unknown> = {}
      expect(validate(config)).to.equal(true)
      expect(retryPolicyFrom(config, {maxAttempts: 99, initialDelayMs: 1, maxDelayMs: 2})).to.deep.equal(defaults)
      for (const [name, property] of Object.entries(schema.properties as Record<string, object>)) {
        expect(property, name).to.include.keys('description', 'default', 'examples')
      }
      for (const example of schema.examples as unknown[])
        expect(validate(structuredClone(example)), JSON.stringify(example)).to.equal(true)
      expect(validate({maxAttempts: -1})).to.equal(false)
      expect(validate({maxDelay: 'a while'})).to.equal(false)
      expect(validate({tries: 3})).to.equal(false)
    }
    expect(DEFAULT_SOURCE_RETRY).to.deep.equal({maxAttempts: 0, initialDelayMs: 1000, maxDelayMs: 60_000})
    expect(DEFAULT_SINK_RETRY).to.deep.equal({maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 30_000})
  })

  it('reads durations and keeps the defaults for what the key leaves out', () => {
    expect(retryPolicyFrom({maxAttempts: 3}, DEFAULT_SINK_RETRY)).to.deep.equal({
      maxAttempts: 3,
      initialDelayMs: 500,
      maxDelayMs: 30_000,
    })
    expect(retryPolicyFrom({initialDelay: '200ms', maxDelay: 5}, DEFAULT_SOURCE_RETRY)).to.deep.equal({
      maxAttempts: 0,
      initialDelayMs: 200,
      maxDelayMs: 5000,
    })
    expect(retryPolicyFrom(undefined, DEFAULT_SOURCE_RETRY)).to.deep.equal(DEFAULT_SOURCE_RETRY)
  })
})
