import {expect} from 'chai'
import filter from '../../../src/plugins/transform/filter.js'
import type {EtlRecord, TransformInstance} from '../../../src/runtime/plugin-types.js'
import {configFor, testContext, issuesOf} from '../../support/plugin-context.js'

async function filterer(where: string) {
  const test = testContext()
  const instance = (await filter.create(configFor(filter, {where}), test.context)) as TransformInstance
  return {...test, process: async (records: EtlRecord[]) => instance.process(records)}
}

const records: EtlRecord[] = [
  {symbol: 'BTC', price_usd: 29457.23},
  {symbol: 'ETH', price_usd: 1800.5},
  {symbol: 'BTC', price_usd: 900},
  {symbol: 'BTC'},
  {symbol: 'DOGE', price_usd: 0.07},
]

describe('filter transform', () => {
  it('keeps matching records in order and counts the rest as filtered_out', async () => {
    const {process, counts} = await filterer("symbol == 'BTC' and price_usd > 1000")
    expect(await process(records)).to.deep.equal([{symbol: 'BTC', price_usd: 29457.23}])
    expect(counts.get('filtered_out')).to.equal(4)
    await process(records.slice(1, 3))
    expect(counts.get('filtered_out')).to.equal(6)
  })

  it('treats comparisons with a missing field as false', async () => {
    const {process} = await filterer('price_usd < 1000')
    expect((await process(records)).map((r) => r.price_usd)).to.deep.equal([900, 0.07])
    const negated = await filterer('not (price_usd >= 1000)')
    expect(await negated.process(records)).to.have.length(3)
  })

  it('keeps records for any truthy result', async () => {
    const {process} = await filterer('price_usd')
    expect(await process([{price_usd: 0}, {price_usd: 5}, {}])).to.deep.equal([{price_usd: 5}])
  })

  it('supports in-lists and functions', async () => {
    const {process} = await filterer("upper(symbol) in ('ETH', 'DOGE') or round(price_usd) == 900")
    expect((await process(records)).map((r) => r.symbol)).to.deep.equal(['ETH', 'BTC', 'DOGE'])
  })

  it('does not count when nothing was dropped', async () => {
    const {process, counts} = await filterer('true')
    expect(await process(records)).to.have.length(5)
    expect(counts.has('filtered_out')).to.equal(false)
  })

  it('fails at create with ETL_CONFIG_INVALID pointing at the expression problem', async () => {
    try {
      await filterer("symbol = 'BTC'")
      expect.fail('expected an error')
    } catch (error) {
      expect(error).to.have.property('code', 'ETL_CONFIG_INVALID')
      expect((error as Error).message)
        .to.include('filter: where:')
        .and.include('use ==')
        .and.include('column 8')
    }
  })

  it('reports a bad expression through validateConfig, pinned to where', async () => {
    expect(await issuesOf(filter, configFor(filter, {where: "symbol == 'BTC'"}))).to.deep.equal([])
    expect(await issuesOf(filter, configFor(filter, {where: 'price_usd >'}))).to.deep.equal([
      {path: ['where'], message: 'expected a value but found the end of the expression at column 12 in "price_usd >"'},
    ])
  })

  it('requires where in its schema', () => {
    expect(() => configFor(filter, {})).to.throw(/where/)
    expect(() => configFor(filter, {where: ''})).to.throw(/where/)
  })
})
