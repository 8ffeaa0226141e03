import {expect} from 'chai'
import {EmitBatcher} from '../../../../src/plugins/shared/batching/emit-batcher.js'
import type {EtlRecord} from '../../../../src/runtime/plugin-types.js'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('EmitBatcher', () => {
  it('emits at maxRecords, with the checkpoint as of the batch’s last record, in order', async () => {
    const emits: {records: EtlRecord[]; checkpoint: unknown}[] = []
    let position = 0
    const batcher = new EmitBatcher({
      emit: async (records, checkpoint) => void emits.push({records, checkpoint}),
      checkpoint: () => position,
      maxRecords: 2,
      maxDelayMs: 60_000,
    })
    for (let i = 1; i <= 5; i++) {
      position = i
      await batcher.add([{i}])
    }
    await batcher.stop()
    expect(emits).to.deep.equal([
      {records: [{i: 1}, {i: 2}], checkpoint: 2},
      {records: [{i: 3}, {i: 4}], checkpoint: 4},
      {records: [{i: 5}], checkpoint: 5},
    ])
  })

  it('emits a batch nobody adds to once it is maxDelayMs old', async () => {
    const emitted: EtlRecord[][] = []
    const batcher = new EmitBatcher({emit: async (r) => void emitted.push(r), maxRecords: 100, maxDelayMs: 20})
    batcher.start()
    await batcher.add([{a: 1}])
    await pause(80)
    expect(emitted).to.deep.equal([[{a: 1}]])
    await batcher.stop()
  })

  it('hands a failed timer emit to the next add', async () => {
    const batcher = new EmitBatcher({
      emit: async () => {
        throw new Error('fenced')
      },
      maxRecords: 100,
      maxDelayMs: 10,
    })
    batcher.start()
    await batcher.add([{a: 1}])
    await pause(60)
    const error = await batcher.add([{a: 2}]).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.have.property('message', 'fenced')
    await batcher.stop().catch(() => undefined)
  })
})
