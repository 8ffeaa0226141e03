import {expect} from 'chai'
import {ModuleWorker, ModuleWorkerError} from '../../../../src/plugins/chart/vega-lite/module-worker.js'

const ANSWERS = new URL('./fixtures/module-worker-answers.ts', import.meta.url)

/** The error `promise` rejects with (fails the test when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected the call to fail')
}

describe('ModuleWorker (calls into a module loaded in a worker thread)', function () {
  this.timeout(60_000)
  const workers: ModuleWorker<unknown, unknown>[] = []
  const worker = (url = ANSWERS, idleMs = 60_000) => {
    const created = new ModuleWorker<unknown, unknown>(url, {timeoutMs: 30_000, idleMs})
    workers.push(created)
    return created
  }
  afterEach(() => {
    for (const created of workers.splice(0)) created.stop()
  })

  it('returns the answer, computed in a worker thread of this process', async () => {
    const answers = worker()
    expect(await answers.call({op: 'echo', value: {nested: [1, 'two']}})).to.deep.equal({nested: [1, 'two']})
    expect(await answers.call({op: 'pid'})).to.deep.equal({pid: process.pid, isMainThread: false})
  })

  it('reuses one worker for calls in a row, and starts a fresh one after it was idle', async () => {
    const answers = worker(ANSWERS, 200)
    expect([
      await answers.call({op: 'calls'}),
      await answers.call({op: 'calls'}),
      await answers.call({op: 'calls'}),
    ]).to.deep.equal([1, 2, 3])
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(await answers.call({op: 'calls'})).to.equal(1)
  })

  it('answers calls made at the same time, each with its own answer', async () => {
    const answers = worker()
    const values = ['a', 'b', 'c', 'd']
    expect(await Promise.all(values.map((value) => answers.call({op: 'echo', value})))).to.deep.equal(values)
  })

  it('rejects with the error the answer failed with, and keeps working afterwards', async () => {
    const answers = worker()
    const error = await rejectionOf(answers.call({op: 'fail', value: 7}))
    expect(error).to.be.instanceOf(ModuleWorkerError)
    expect(error.message).to.include('failed on purpose with 7')
    expect(await answers.call({op: 'echo', value: 'still here'})).to.equal('still here')
  })

  it('reports a module that cannot be loaded with its error, not as a timeout', async () => {
    const missing = worker(new URL('./fixtures/no-such-module.ts', import.meta.url))
    // A worker that died on the failed import would leave the call to its timeout ("no answer within 30 s").
    const error = await rejectionOf(missing.call({op: 'echo'}))
    expect(error).to.be.instanceOf(ModuleWorkerError)
    expect(error.message).to.match(/Cannot find module .*no-such-module/)
  })
})
