/** --until-caught-up: the target a run stops at, and which stage selections it can run with. */
import {expect} from 'chai'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadPipeline} from '../../../src/index.js'
import {catchUpTarget, describeTarget, untilCaughtUpProblem} from '../../../src/runtime/stages/catch-up.js'

const DATA = join(import.meta.dirname, '../../../data/btcusd-1d-2011-2025.csv')

describe('catchUpTarget', () => {
  const end = new Map([
    [0, 12n],
    [1, 0n],
    [2, 7n],
  ])

  it("is the topic's end offsets; something is new while a partition's commit is behind its end", () => {
    const {target, nothingNew} = catchUpTarget(
      end,
      new Map([
        [0, 12n],
        [2, 3n],
      ]),
      true,
    )
    expect([...target]).to.deep.equal([...end])
    expect(nothingNew).to.equal(false)
  })

  it('finds nothing new when every partition is committed up to its end (or is empty)', () => {
    const committed = new Map([
      [0, 12n],
      [1, -1n],
      [2, 7n],
    ])
    expect(catchUpTarget(end, committed, true).nothingNew).to.equal(true)
  })

  it('counts a partition the group never committed on as done when a new group starts at the end', () => {
    const committed = new Map([
      [0, -1n],
      [2, 5n],
    ])
    const fromEnd = catchUpTarget(end, committed, false)
    expect(fromEnd.target.get(0)).to.equal(0n)
    expect(fromEnd.target.get(2), 'a partition with a commit is caught up as usual').to.equal(7n)
    expect(fromEnd.nothingNew).to.equal(false)
    expect(catchUpTarget(end, new Map(), false).nothingNew).to.equal(true)
    expect(catchUpTarget(end, new Map(), true).nothingNew, 'from the beginning, everything is new').to.equal(false)
  })

  it('describes the target as partition:offset pairs in partition order', () => {
    expect(
      describeTarget(
        new Map([
          [2, 7n],
          [0, 12n],
        ]),
      ),
    ).to.equal('0:12,2:7')
  })
})

describe('untilCaughtUpProblem', () => {
  let dir: string
  before(() => (dir = mkdtempSync(join(tmpdir(), 'etl-catch-up-'))))
  after(() => rmSync(dir, {recursive: true, force: true}))

  async function pipeline(name: string, source: string[]) {
    const file = join(dir, `${name}.yaml`)
    const lines = [`name: ${name}`, ...source, 'sinks:', '  - type: stdout']
    writeFileSync(file, lines.join('\n') + '\n')
    return loadPipeline(file)
  }

  const replay = (loop: number, extra: string[] = []) => [
    'source:',
    '  type: replay',
    `  path: ${DATA}`,
    `  loop: ${loop}`,
    ...extra,
  ]

  it('accepts the process stage alone, whatever the source', async () => {
    expect(untilCaughtUpProblem(await pipeline('endless', replay(0)), 'process')).to.equal(undefined)
  })

  it('accepts both stages with a source that ends by itself (a replay played N times, or limited)', async () => {
    expect(untilCaughtUpProblem(await pipeline('once', replay(1)), 'all')).to.equal(undefined)
    expect(untilCaughtUpProblem(await pipeline('limited', replay(0, ['  limit: 10'])), 'all')).to.equal(undefined)
  })

  it('refuses both stages with a source that runs until stopped, and says what to run instead', async () => {
    const problem = untilCaughtUpProblem(await pipeline('forever', replay(0)), 'all')
    expect(problem).to.match(/needs a source that ends by itself/)
    expect(problem).to.include('--stage process --until-caught-up')
  })

  it('refuses a source stage alone: it has no process stage to catch up', async () => {
    expect(untilCaughtUpProblem(await pipeline('source-only', replay(1)), 'source')).to.match(/--stage source/)
  })

  it('accepts a pipeline without a source (it runs the process stage only)', async () => {
    const file = join(dir, 'no-source.yaml')
    writeFileSync(file, ['name: no-source', 'kafka:', '  topic: t', 'sinks:', '  - type: stdout'].join('\n') + '\n')
    expect(untilCaughtUpProblem(await loadPipeline(file), 'all')).to.equal(undefined)
  })
})
