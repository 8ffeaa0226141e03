import {mkdir, mkdtemp, readdir, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {writeFileAtomic} from '../../../../src/plugins/chart/vega-lite/atomic-write.js'

describe('writeFileAtomic', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-atomic-'))
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('lets a concurrent reader see only the old or the new file, never a partial one', async () => {
    const path = join(dir, 'nested', 'chart.svg')
    const versions = ['a', 'b', 'c', 'd'].map((letter) => letter.repeat(4 * 1024 * 1024))
    await writeFileAtomic(path, versions[0])
    let writing = true
    const seen = new Set<number>()
    const reader = (async () => {
      while (writing) {
        const text = await readFile(path, 'utf8')
        const index = versions.indexOf(text)
        expect(index, `read ${text.length} bytes that are no complete version`).to.be.at.least(0)
        seen.add(index)
      }
    })()
    for (const version of versions.slice(1)) await writeFileAtomic(path, version)
    writing = false
    await reader
    expect(await readFile(path, 'utf8')).to.equal(versions[3])
    expect(seen.size).to.be.at.least(1)
    expect(await readdir(join(dir, 'nested'))).to.deep.equal(['chart.svg'])
  })

  it('removes its temp file when the rename fails', async () => {
    await mkdir(join(dir, 'chart.png'))
    const error = await writeFileAtomic(join(dir, 'chart.png'), 'png').catch((caught: unknown) => caught)
    expect(error).to.be.instanceOf(Error)
    expect(await readdir(dir)).to.deep.equal(['chart.png'])
  })
})
