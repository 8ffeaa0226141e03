import {expect} from 'chai'
import {checkConfig, runTransform} from 'etl/testing'
import plugin from '../src/index.js'

describe('transform {{pluginName}}', () => {
  it('upper-cases the field of every record and keeps their order and other fields', async () => {
    const input = [
      {symbol: 'btc', price_usd: 100},
      {symbol: 'eth', price_usd: 5},
    ]
    const run = await runTransform(plugin, {field: 'symbol'}, input)
    expect(run.records).to.deep.equal([
      {symbol: 'BTC', price_usd: 100},
      {symbol: 'ETH', price_usd: 5},
    ])
    expect(input[0].symbol, 'the input records are not modified').to.equal('btc')
  })

  it('writes to `as` when it is set', async () => {
    const run = await runTransform(plugin, {field: 'coin_id', as: 'coin'}, [{coin_id: 'bitcoin'}])
    expect(run.records).to.deep.equal([{coin_id: 'bitcoin', coin: 'BITCOIN'}])
  })

  it('passes records without a text field on unchanged and counts them', async () => {
    const run = await runTransform(plugin, {}, [[{symbol: 7}], [{price_usd: 1}, {symbol: 'sol'}]])
    expect(run.batches).to.deep.equal([[{symbol: 7}], [{price_usd: 1}, {symbol: 'SOL'}]])
    expect(run.counts.get('not_text')).to.equal(2)
  })

  it('refuses a config etl validate would refuse', async () => {
    expect(await checkConfig(plugin, {field: 'symbol'})).to.deep.equal([])
    const issues = await checkConfig(plugin, {feild: 'symbol'})
    expect(issues.map((issue) => issue.message)).to.deep.equal(['must NOT have additional properties'])
  })
})
