/**
 * The replay file checks `etl validate` runs (validateConfig): a missing or unreadable file at path, each column the
 * header lacks at the config field that names it; and create still refuses the same configs with the same words.
 */
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {expect} from 'chai'
import replay from '../../../../src/plugins/source/replay/index.js'
import {replayFileIssues} from '../../../../src/plugins/source/replay/replay-file.js'
import {checkConfig} from '../../../../src/testing/index.js'
import {configFor, testContext} from '../../../support/plugin-context.js'

const DAILY = new URL('../../../../data/btcusd-1d-2011-2025.csv', import.meta.url).pathname

describe('replay source: file checks (validateConfig)', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-replay-checks-'))
  })
  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  async function createError(config: Record<string, unknown>): Promise<string> {
    try {
      await replay.create(configFor(replay, config), testContext().context)
    } catch (error) {
      return (error as Error).message
    }
    throw new Error('create accepted the config')
  }

  it('passes a readable file with every configured column', async () => {
    expect(await checkConfig(replay, {path: DAILY})).to.deep.equal([])
  })

  it('passes the default path from any working directory: the copy shipped with etl is used', async () => {
    const config = configFor(replay, {})
    expect(await replayFileIssues(config, (path) => resolve(dir, path))).to.deep.equal([])
  })

  it('reports a missing file at path, in the words create uses', async () => {
    const path = join(dir, 'nope.csv')
    const found = await checkConfig(replay, {path})
    expect(found).to.have.length(1)
    expect(found[0].path).to.deep.equal(['path'])
    expect(found[0].message).to.include(`"${path}"`).and.include('does not exist or is unreadable')
    expect(await createError({path})).to.equal(`replay: ${found[0].message}`)
  })

  it('reports a file that cannot be read (a folder) at path', async () => {
    const found = await checkConfig(replay, {path: dir})
    expect(found).to.have.length(1)
    expect(found[0].path).to.deep.equal(['path'])
    expect(found[0].message).to.include(`cannot read ${dir}`)
    expect(await createError({path: dir})).to.equal(`replay: ${found[0].message}`)
  })

  it('reports each column the header lacks at the field that names it', async () => {
    const path = join(dir, 'prices.csv')
    await writeFile(path, 'time,close,high\n1700000000,1,2\n')
    const config = {path, timestampColumn: 'unix_timestamp', extraColumns: ['open', 'high', 'volume']}
    const found = await checkConfig(replay, config)
    expect(found.map((issue) => issue.path)).to.deep.equal([
      ['timestampColumn'],
      ['extraColumns', 0],
      ['extraColumns', 2],
    ])
    expect(found[0].message).to.equal(`${path} has no column "unix_timestamp" (its header: time, close, high)`)
    expect(found[1].message).to.include('no column "open"')
    expect(found[2].message).to.include('no column "volume"')
    expect(await createError(config)).to.equal(
      `replay: ${path} has no column "unix_timestamp", "open", "volume" (its header: time, close, high)`,
    )
  })

  it('reports the price column the header lacks at priceColumn', async () => {
    const found = await checkConfig(replay, {path: DAILY, priceColumn: 'price'})
    expect(found).to.have.length(1)
    expect(found[0].path).to.deep.equal(['priceColumn'])
    expect(found[0].message).to.include('no column "price"')
  })

  it('reports every configured column of an empty file', async () => {
    const path = join(dir, 'empty.csv')
    await writeFile(path, '')
    const found = await checkConfig(replay, {path, extraColumns: []})
    expect(found.map((issue) => issue.path)).to.deep.equal([['timestampColumn'], ['priceColumn']])
  })
})
