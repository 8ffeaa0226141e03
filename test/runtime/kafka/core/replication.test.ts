import {expect} from 'chai'
import {createLogger} from '../../../../src/runtime/logger.js'
import {defaultReplicationFactor, ReplicationDefault} from '../../../../src/runtime/kafka/core/replication.js'

const quiet = createLogger('test', {level: 'error'})

describe('replication default (kafka.replicationFactor unset)', () => {
  it('is min(3, brokers), and never below 1', () => {
    expect([0, 1, 2, 3, 4, 9].map(defaultReplicationFactor)).to.deep.equal([1, 1, 2, 3, 3, 3])
  })

  it('asks the cluster once, and not at all when the pipeline names a factor', async () => {
    let asked = 0
    const replication = new ReplicationDefault(async () => {
      asked++
      return 5
    }, quiet)
    expect(await replication.of(2)).to.equal(2)
    expect(asked).to.equal(0)
    expect(await replication.of(undefined)).to.equal(3)
    expect(await replication.of(undefined)).to.equal(3)
    expect(asked).to.equal(1)
  })

  it('asks again after a failed attempt', async () => {
    let calls = 0
    const replication = new ReplicationDefault(async () => {
      calls++
      if (calls === 1) throw new Error('no broker answered')
      return 1
    }, quiet)
    let failure: unknown
    await replication.of(undefined).catch((error: unknown) => (failure = error))
    expect(String(failure)).to.include('no broker answered')
    expect(await replication.of(undefined)).to.equal(1)
  })
})
