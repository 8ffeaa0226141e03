import {expect} from 'chai'
import ohlc from '../../src/plugins/transform/ohlc.js'
import filter from '../../src/plugins/transform/filter.js'
import {checkConfig, pluginConfig} from '../../src/testing/index.js'

describe('etl/testing: plugin configs', () => {
  it("pluginConfig fills the schema's defaults into a copy, as the runtime does before create()", () => {
    const given = {size: '5m'}
    const config = pluginConfig(ohlc, given)
    expect(config).to.include({size: '5m', time: 'timestamp', emit: 'final', late: 'dead-letter'})
    expect(given).to.deep.equal({size: '5m'})
  })

  it("checkConfig reports what etl validate would: schema problems, else validateConfig's", async () => {
    expect(await checkConfig(filter, {where: "symbol == 'BTC'"})).to.deep.equal([])
    expect(await checkConfig(filter, {})).to.deep.equal([{path: [], message: "must have required property 'where'"}])
    expect(await checkConfig(filter, {where: 'price_usd >'})).to.deep.equal([
      {path: ['where'], message: 'expected a value but found the end of the expression at column 12 in "price_usd >"'},
    ])
    expect((await checkConfig(ohlc, {size: '1h', slide: '2h'})).map((issue) => issue.path)).to.deep.equal([['slide']])
  })
})
