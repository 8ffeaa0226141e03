import {expect} from 'chai'
import {checkConfig, collectSource} from 'etl/testing'
import plugin from '../src/index.js'

describe('source {{pluginName}}', () => {
  it('emits count records in batches, each emit with its checkpoint, then ends', async () => {
    const run = await collectSource(plugin, {count: 5, batchSize: 2, interval: '1m'})
    expect(run.ended).to.equal('finished')
    expect(run.records.map((record) => record.counter)).to.deep.equal([0, 1, 2, 3, 4])
    expect(run.emits.map((emit) => emit.checkpoint)).to.deep.equal([{next: 2}, {next: 4}, {next: 5}])
    expect(run.checkpoint).to.deep.equal({next: 5})
    // The test clock runs in virtual time: one minute passes between emits, at once.
    const times = run.emits.map((emit) => Date.parse(String(emit.records[0].timestamp)))
    expect(times[1] - times[0]).to.equal(60_000)
    expect(times[2] - times[1]).to.equal(60_000)
  })

  it('continues right after the checkpoint it is restored from', async () => {
    const first = await collectSource(plugin, {count: 6, batchSize: 2}, {emits: 2})
    expect(first.ended).to.equal('condition')
    expect(first.checkpoint).to.deep.equal({next: 4})
    const second = await collectSource(plugin, {count: 6, batchSize: 2}, {restore: first.checkpoint})
    expect(second.records.map((record) => record.counter)).to.deep.equal([4, 5])
  })

  it('ignores a checkpoint it did not write, with a warning', async () => {
    const run = await collectSource(plugin, {count: 2}, {restore: {line: 3}})
    expect(run.records.map((record) => record.counter)).to.deep.equal([0, 1])
    expect(run.logs.join('\n')).to.include('ignoring a checkpoint')
  })

  it('refuses a batch size of 0', async () => {
    const issues = await checkConfig(plugin, {batchSize: 0})
    expect(issues.map((issue) => issue.path)).to.deep.equal([['batchSize']])
  })
})
