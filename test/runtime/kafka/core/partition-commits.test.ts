/** Offset commits per partition: one at a time, in order, and never backwards. */
import {expect} from 'chai'
import {PartitionCommits} from '../../../../src/runtime/kafka/core/partition-commits.js'

function recorder(delays: Record<string, number> = {}, failing = new Set<string>()) {
  const sent: string[] = []
  let running = 0
  let overlapped = false
  const commits = new PartitionCommits(async (partition, next) => {
    running++
    if (running > 1) overlapped = true
    await new Promise((resolve) => setTimeout(resolve, delays[`${partition}:${next}`] ?? 1))
    running--
    if (failing.has(`${partition}:${next}`)) throw new Error('rejected')
    sent.push(`${partition}:${next}`)
  })
  return {commits, sent, overlapped: () => overlapped}
}

describe('PartitionCommits', () => {
  it('skips a commit that would move a partition backwards, even when it was asked for later', async () => {
    const {commits, sent} = recorder()
    await commits.commit(0, 10n)
    await commits.commit(0, 7n)
    await commits.commit(0, 10n)
    await commits.commit(0, 12n)
    expect(sent).to.deep.equal(['0:10', '0:12'])
  })

  it('commits one partition one at a time, in the order asked', async () => {
    const {commits, sent, overlapped} = recorder({'0:5': 30})
    await Promise.all([commits.commit(0, 5n), commits.commit(0, 4n), commits.commit(0, 6n)])
    expect(sent).to.deep.equal(['0:5', '0:6'])
    expect(overlapped()).to.equal(false)
  })

  it('a failed commit rejects its caller and does not block the next one', async () => {
    const {commits, sent} = recorder({}, new Set(['1:5']))
    const failed = await commits.commit(1, 5n).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(failed).to.be.instanceOf(Error)
    await commits.commit(1, 3n)
    expect(sent).to.deep.equal(['1:3'])
  })

  it('forget(): after a rebalance an older offset is committed again', async () => {
    const {commits, sent} = recorder()
    await commits.commit(2, 9n)
    commits.forget()
    await commits.commit(2, 4n)
    expect(sent).to.deep.equal(['2:9', '2:4'])
  })
})
