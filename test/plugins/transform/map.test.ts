import {expect} from 'chai'
import map from '../../../src/plugins/transform/map.js'
import type {EtlRecord, TransformInstance} from '../../../src/runtime/plugin-types.js'
import {configFor, testContext, issuesOf} from '../../support/plugin-context.js'

const price = (): EtlRecord => ({
  symbol: 'BTC',
  price_usd: 29457.235,
  timestamp: '2025-08-08T16:10:00.000Z',
  coin_id: 'bitcoin',
  vs_currency: 'usd',
  source: 'coingecko',
})

async function mapper(config: Record<string, unknown>) {
  const test = testContext()
  const instance = (await map.create(configFor(map, config), test.context)) as TransformInstance
  return {...test, process: async (records: EtlRecord[]) => instance.process(records)}
}

describe('map transform', () => {
  it('computes fields from expressions', async () => {
    const {process} = await mapper({
      compute: {price_eur: 'round(price_usd * 0.92, 2)', pair: "symbol + '/' + upper(vs_currency)"},
    })
    const [out] = await process([price()])
    expect(out).to.deep.equal({...price(), price_eur: 27100.66, pair: 'BTC/USD'})
  })

  it('evaluates computes in order, each seeing the ones before, and can replace a field', async () => {
    const {process} = await mapper({compute: {a: 'price_usd * 2', b: 'a + 1', price_usd: 'round(price_usd)'}})
    const [out] = await process([price()])
    expect(out).to.include({a: 58914.47, b: 58915.47, price_usd: 29457})
  })

  it('gives null for what cannot be computed, without throwing', async () => {
    const {process} = await mapper({compute: {x: 'missing * 2', y: 'price_usd / 0'}})
    const [out] = await process([{price_usd: 1}])
    expect(out).to.deep.equal({price_usd: 1, x: null, y: null})
  })

  it('renames in place, keeping field order, and leaves missing fields alone', async () => {
    const {process} = await mapper({rename: {price_usd: 'price', nope: 'never'}})
    const [out] = await process([price()])
    expect(Object.keys(out)).to.deep.equal(['symbol', 'price', 'timestamp', 'coin_id', 'vs_currency', 'source'])
    expect(out.price).to.equal(29457.235)
    expect(out).to.not.have.property('never')
  })

  it('lets a renamed field replace an existing field of that name, only when the renamed field is there', async () => {
    const {process} = await mapper({rename: {price_usd: 'price'}})
    const [a, b] = await process([{price: 'old', price_usd: 2}, {price: 'kept'}])
    expect(a).to.deep.equal({price: 2})
    expect(b).to.deep.equal({price: 'kept'})
  })

  it('swaps two fields', async () => {
    const {process} = await mapper({rename: {a: 'b', b: 'a'}})
    expect(await process([{a: 1, b: 2}])).to.deep.equal([{b: 1, a: 2}])
  })

  it('selects fields in the listed order and leaves out missing ones', async () => {
    const {process} = await mapper({select: ['timestamp', 'price_usd', 'missing', 'symbol']})
    const [out] = await process([price()])
    expect(out).to.deep.equal({timestamp: '2025-08-08T16:10:00.000Z', price_usd: 29457.235, symbol: 'BTC'})
    expect(Object.keys(out)).to.deep.equal(['timestamp', 'price_usd', 'symbol'])
  })

  it('drops fields', async () => {
    const {process} = await mapper({drop: ['coin_id', 'source', 'missing']})
    expect(await process([price()])).to.deep.equal([
      {symbol: 'BTC', price_usd: 29457.235, timestamp: '2025-08-08T16:10:00.000Z', vs_currency: 'usd'},
    ])
  })

  it('runs compute, rename, select, drop in that order whatever the YAML order', async () => {
    const {process} = await mapper({
      drop: ['symbol'],
      select: ['eur', 'symbol', 'timestamp'],
      rename: {price_eur: 'eur'},
      compute: {price_eur: 'round(price_usd * 0.5, 1)'},
    })
    expect(await process([price()])).to.deep.equal([{eur: 14728.6, timestamp: '2025-08-08T16:10:00.000Z'}])
  })

  it('never modifies the input records and keeps batch order', async () => {
    const {process} = await mapper({compute: {x: '1'}, rename: {symbol: 's'}, drop: ['source']})
    const input = [price(), {...price(), symbol: 'ETH'}]
    const before = structuredClone(input)
    const out = await process(input)
    expect(input).to.deep.equal(before)
    expect(out.map((r) => r.s)).to.deep.equal(['BTC', 'ETH'])
  })

  it('with nothing configured, passes records through and warns', async () => {
    const {process, logs} = await mapper({})
    const input = [price()]
    expect(await process(input)).to.deep.equal(input)
    expect(logs.some((line) => line.includes('nothing to do'))).to.equal(true)
  })

  it('fails at create with ETL_CONFIG_INVALID naming the bad compute expression', async () => {
    try {
      await mapper({compute: {good: '1', bad: 'round(price_usd,'}})
      expect.fail('expected an error')
    } catch (error) {
      expect(error).to.have.property('code', 'ETL_CONFIG_INVALID')
      expect((error as Error).message)
        .to.include('map: compute.bad:')
        .and.include('at column 17')
    }
  })

  it('reports each bad compute expression through validateConfig, pinned to its field', async () => {
    const config = configFor(map, {compute: {ok: 'price_usd * 2', bad: 'rnd(price_usd)', worse: '1 +'}})
    const issues = await issuesOf(map, config)
    expect(issues.map((issue) => issue.path)).to.deep.equal([
      ['compute', 'bad'],
      ['compute', 'worse'],
    ])
    expect(issues[0].message).to.include('unknown function "rnd"').and.include('at column 1')
    expect(await issuesOf(map, configFor(map, {drop: ['a']}))).to.deep.equal([])
  })

  it('rejects configs outside the schema', () => {
    expect(() => configFor(map, {compute: {x: 3}})).to.throw(/compute/)
    expect(() => configFor(map, {select: []})).to.throw(/select/)
    expect(() => configFor(map, {keep: ['a']})).to.throw(/additional/)
  })
})
