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
})
