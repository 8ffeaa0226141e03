/** predictEnds: where a transaction's records will end, from the source's last ends and the records per partition. */
import {expect} from 'chai'
import {predictEnds} from '../../../src/runtime/stages/source-delivery.js'

describe('predictEnds', () => {
  it('puts the records after the commit marker that follows the last ones; other partitions stay', () => {
    const before = new Map([
      [0, 9n],
      [1, 4n],
    ])
    expect(predictEnds(before, new Map([[0, 2]]))).to.deep.equal(
      new Map([
        [0, 12n],
        [1, 4n],
      ]),
    )
    expect(before.get(0), 'the ends it was given are left alone').to.equal(9n)
  })

  it('predicts nothing for a partition this source never wrote to', () => {
    expect(predictEnds(new Map([[0, 9n]]), new Map([[2, 1]]))).to.equal(undefined)
    expect(predictEnds(new Map(), new Map([[0, 3]]))).to.equal(undefined)
  })

  it('without records (a checkpoint alone) the ends are those before', () => {
    expect(predictEnds(new Map([[0, 9n]]), undefined)).to.deep.equal(new Map([[0, 9n]]))
  })
})
