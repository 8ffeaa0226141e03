import {expect} from 'chai'
import {RowFeed} from '../../../../src/runtime/charts/dashboard/row-feed.js'

const rows = (from: number, to: number) => Array.from({length: to - from + 1}, (_, i) => ({t: from + i}))

describe('dashboard RowFeed', () => {
  it('numbers rows 1, 2, 3 … and gives exactly the rows after a position', () => {
    const feed = new RowFeed(100)
    expect(feed.latest).to.equal(0)
    feed.append(rows(1, 5))
    feed.append(rows(6, 7))
    expect(feed.latest).to.equal(7)
    expect(feed.after(4)).to.deep.equal({kind: 'rows', rows: rows(5, 7)})
    expect(feed.after(7)).to.deep.equal({kind: 'rows', rows: []})
    expect(feed.after(0)).to.deep.equal({kind: 'rows', rows: rows(1, 7)})
  })

  it('keeps the newest rows; a page behind what is kept gets a snapshot to replace its rows', () => {
    const feed = new RowFeed(10)
    feed.append(rows(1, 25))
    expect(feed.size).to.be.at.most(10)
    const kept = feed.all()
    expect(kept.at(-1)).to.deep.equal({t: 25})
    expect(feed.after(3)).to.deep.equal({kind: 'reset', rows: kept})
    expect(feed.after(23)).to.deep.equal({kind: 'rows', rows: rows(24, 25)})
  })

  it('a position ahead of the feed (a restarted server still reading its file) waits for the rows after it', () => {
    const feed = new RowFeed(100)
    feed.append(rows(1, 3))
    expect(feed.after(6)).to.deep.equal({kind: 'rows', rows: []})
    feed.append(rows(4, 8))
    expect(feed.after(6)).to.deep.equal({kind: 'rows', rows: rows(7, 8)})
  })

  it('a reset takes a position: a page that saw rows before it starts over, one that saw it goes on', () => {
    const feed = new RowFeed(100)
    feed.append(rows(1, 3))
    feed.reset()
    expect(feed.latest).to.equal(4)
    expect(feed.after(3)).to.deep.equal({kind: 'reset', rows: []})
    feed.append(rows(10, 11))
    expect(feed.after(4)).to.deep.equal({kind: 'rows', rows: rows(10, 11)})
    expect(feed.after(2)).to.deep.equal({kind: 'reset', rows: rows(10, 11)})
  })

  it('since() selects rows by a time field', () => {
    const feed = new RowFeed(100)
    feed.append(rows(1, 9))
    expect(feed.since('t', 7)).to.deep.equal(rows(7, 9))
  })
})
