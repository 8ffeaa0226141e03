import {expect} from 'chai'
import {SyncWorker, SyncWorkerError} from '../../../../src/plugins/chart/vega-lite/sync-worker.js'

const ANSWERS = new URL('./fixtures/sync-worker-answers.ts', import.meta.url)

describe('SyncWorker (synchronous calls into a worker thread)', function () {
  this.timeout(60_000)
  const workers: SyncWorker<unknown, unknown>[] = []
  const worker = (url = ANSWERS, idleMs = 60_000) => {
    const created = new SyncWorker<unknown, unknown>(url, {timeoutMs: 30_000, idleMs})
    workers.push(created)
    return created
  }
  afterEach(() => {
    for (const created of workers.splice(0)) created.stop()
  })

  it('returns the answer synchronously, computed in a worker thread of this process', () => {
    const answers = worker()
    expect(answers.call({op: 'echo', value: {nested: [1, 'two']}})).to.deep.equal({nested: [1, 'two']})
    expect(answers.call({op: 'pid'})).to.deep.equal({pid: process.pid, isMainThread: false})
  })

  it('reuses one worker for calls in a row, and starts a fresh one after it was idle', async () => {
    const answers = worker(ANSWERS, 200)
    expect([answers.call({op: 'calls'}), answers.call({op: 'calls'}), answers.call({op: 'calls'})]).to.deep.equal([
      1, 2, 3,
    ])
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(answers.call({op: 'calls'})).to.equal(1)
  })

  it('throws the error the answer failed with, and keeps working afterwards', () => {
    const answers = worker()
    expect(() => answers.call({op: 'fail', value: 7})).to.throw(SyncWorkerError, 'failed on purpose with 7')
    expect(answers.call({op: 'echo', value: 'still here'})).to.equal('still here')
  })

  it('reports a module that cannot be loaded with its error, not as a timeout', () => {
    const missing = worker(new URL('./fixtures/no-such-module.ts', import.meta.url))
    // A worker that died on the failed import would leave the call to its timeout ("no answer within 30 s").
    expect(() => missing.call({op: 'echo'})).to.throw(SyncWorkerError, /Cannot find module .*no-such-module/)
  })
})
