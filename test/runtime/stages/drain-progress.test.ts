/** DrainProgress: when the process stage may stop after a finite source finished. */
import {expect} from 'chai'
import {DrainProgress} from '../../../src/runtime/stages/drain-progress.js'

describe('DrainProgress', () => {
  it('is not caught up before a target is set, however much was handled', () => {
    const progress = new DrainProgress()
    progress.handled(0, 1_000n)
    expect(progress.caughtUp()).to.equal(false)
  })

  it('is caught up once every partition of the target is reached', () => {
    const progress = new DrainProgress()
    progress.aimAt(
      new Map([
        [0, 10n],
        [1, 5n],
      ]),
      new Map(),
    )
    progress.handled(0, 10n)
    expect(progress.caughtUp()).to.equal(false)
    progress.handled(1, 4n)
    expect(progress.caughtUp()).to.equal(false)
    progress.handled(1, 6n)
    expect(progress.caughtUp()).to.equal(true)
  })

  it('counts a partition the source never wrote to (end 0) as reached', () => {
    const progress = new DrainProgress()
    progress.aimAt(new Map([[3, 0n]]), new Map())
    expect(progress.caughtUp()).to.equal(true)
  })

  it("takes the group's committed offsets for partitions no batch was handled of, never over a handled one", () => {
    const progress = new DrainProgress()
    progress.handled(0, 7n)
    progress.aimAt(
      new Map([
        [0, 7n],
        [1, 3n],
      ]),
      new Map([
        [0, 2n],
        [1, 3n],
      ]),
    )
    expect(progress.caughtUp()).to.equal(true)
  })

  describe('counting only the partitions this member owns (--until-caught-up)', () => {
    const target = new Map([
      [0, 10n],
      [1, 5n],
      [2, 8n],
    ])

    it('waits for the first assignment, then needs only the owned partitions', () => {
      const progress = new DrainProgress()
      progress.aimAt(target, new Map(), {ownedOnly: true})
      progress.handled(0, 10n)
      expect(progress.caughtUp(), 'no assignment yet').to.equal(false)
      progress.assigned([0, 1])
      expect(progress.caughtUp(), 'partition 1 is behind').to.equal(false)
      progress.handled(1, 5n)
      expect(progress.caughtUp(), 'partition 2 is not owned').to.equal(true)
    })

    it('sees partitions that move here as caught up once the polled commits reach them', () => {
      const progress = new DrainProgress()
      progress.aimAt(target, new Map(), {ownedOnly: true})
      progress.assigned([0])
      progress.handled(0, 10n)
      expect(progress.caughtUp()).to.equal(true)
      // Another member left; its partitions are ours now, committed as far as that member got.
      progress.assigned([0, 1, 2])
      expect(progress.caughtUp()).to.equal(false)
      progress.learn(
        new Map([
          [1, 5n],
          [2, 8n],
        ]),
      )
      expect(progress.caughtUp()).to.equal(true)
    })

    it('takes commits past transaction markers from the polled offsets, never moving a partition back', () => {
      const progress = new DrainProgress()
      progress.aimAt(new Map([[0, 10n]]), new Map([[0, -1n]]), {ownedOnly: true})
      progress.assigned([0])
      progress.handled(0, 9n) // the last record is at 8; offset 9 is the transaction's commit marker
      expect(progress.caughtUp()).to.equal(false)
      progress.learn(new Map([[0, 10n]]))
      expect(progress.caughtUp()).to.equal(true)
      progress.learn(new Map([[0, 3n]]))
      expect(progress.caughtUp(), 'an older read does not undo a newer one').to.equal(true)
    })

    it('is caught up with no assignment when every partition is reached anyway', () => {
      const progress = new DrainProgress()
      progress.aimAt(
        new Map([
          [0, 0n],
          [1, 4n],
        ]),
        new Map([[1, 4n]]),
        {ownedOnly: true},
      )
      expect(progress.caughtUp()).to.equal(true)
    })

    it('with no partitions assigned (more members than partitions), has nothing to wait for', () => {
      const progress = new DrainProgress()
      progress.aimAt(target, new Map(), {ownedOnly: true})
      progress.assigned([])
      expect(progress.caughtUp()).to.equal(true)
    })
  })
})
