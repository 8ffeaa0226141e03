import {mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {PassedSpecCache} from '../../../../src/plugins/chart/vega-lite/passed-spec-cache.js'

const REQUEST = {text: '{"mark": "line"}', label: 'charts/a.vl.json', overrides: {width: 800, height: 400}}

describe('vega-lite chart: the cache of specs that passed their check', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-passed-specs-'))
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('knows a spec only once it passed, under any label', () => {
    const cache = new PassedSpecCache(dir)
    expect(cache.has(REQUEST)).to.equal(false)
    cache.remember(REQUEST)
    expect(cache.has(REQUEST)).to.equal(true)
    expect(new PassedSpecCache(dir).has({...REQUEST, label: 'elsewhere/a.vl.json'})).to.equal(true)
  })

  it('does not take another text, size or title for the one that passed', () => {
    const cache = new PassedSpecCache(dir)
    cache.remember(REQUEST)
    expect(cache.has({...REQUEST, text: '{"mark": "bar"}'})).to.equal(false)
    expect(cache.has({...REQUEST, overrides: {width: 801, height: 400}})).to.equal(false)
    expect(cache.has({...REQUEST, overrides: {width: 800, height: 399}})).to.equal(false)
    expect(cache.has({...REQUEST, overrides: {...REQUEST.overrides, title: 'BTC'}})).to.equal(false)
    expect(cache.has({...REQUEST, overrides: {...REQUEST.overrides, seriesTitle: 'Exchange'}})).to.equal(false)
  })

  it('keeps one empty file per passed spec, and ignores a folder it cannot write', async () => {
    const cache = new PassedSpecCache(dir)
    cache.remember(REQUEST)
    cache.remember(REQUEST)
    expect(await readdir(dir)).to.have.length(1)
    await writeFile(join(dir, 'a-file'), '')
    const unwritable = new PassedSpecCache(join(dir, 'a-file', 'cache'))
    unwritable.remember(REQUEST)
    expect(unwritable.has(REQUEST)).to.equal(false)
  })
})
