import {expect} from 'chai'
import {flattenItem} from '../../../../src/plugins/shared/json-mapping/flatten.js'
import {ItemMapper} from '../../../../src/plugins/shared/json-mapping/item-mapper.js'
import {itemsAt, jsonPathProblem, parseJsonPath} from '../../../../src/plugins/shared/json-mapping/json-path.js'
import {mappingIssues} from '../../../../src/plugins/shared/json-mapping/mapping-schema.js'
import {testContext} from '../../../support/plugin-context.js'

describe('json mapping: records path', () => {
  it('finds the root, a nested list, one object and fans out over *', () => {
    expect(itemsAt([1, 2], parseJsonPath('$')).items).to.deep.equal([1, 2])
    expect(itemsAt({data: {items: [{a: 1}]}}, parseJsonPath('data.items')).items).to.deep.equal([{a: 1}])
    expect(itemsAt({data: {a: 1}}, parseJsonPath('$.data')).items).to.deep.equal([{a: 1}])
    const advanced = {events: [{trades: [{id: 1}, {id: 2}]}, {trades: [{id: 3}]}]}
    expect(itemsAt(advanced, parseJsonPath('events.*.trades')).items).to.deep.equal([{id: 1}, {id: 2}, {id: 3}])
    expect(itemsAt({rows: [[1], [2]]}, parseJsonPath('rows.1')).items).to.deep.equal([2])
  })

  it('tells a path that leads nowhere from an empty list', () => {
    expect(itemsAt({type: 'subscriptions'}, parseJsonPath('data'))).to.deep.equal({items: [], found: false})
    expect(itemsAt({data: []}, parseJsonPath('data'))).to.deep.equal({items: [], found: true})
    expect(itemsAt({constructor: 1}, parseJsonPath('toString')).found).to.equal(false)
  })

  it('rejects paths with empty steps or spaces', () => {
    expect(jsonPathProblem('data..items')).to.match(/not a records path/)
    expect(jsonPathProblem('data items')).to.match(/not a records path/)
    expect(jsonPathProblem('data.*')).to.equal(undefined)
  })
})

describe('json mapping: items to records', () => {
  it('flattens nested objects and arrays into dotted names', () => {
    expect(flattenItem({a: {b: 1, c: [5, {d: 'x'}]}, e: null})).to.deep.equal({
      'a.b': 1,
      'a.c.0': 5,
      'a.c.1.d': 'x',
      e: null,
    })
    expect(flattenItem(7)).to.deep.equal({value: 7})
  })

  it('maps fields, filters items and turns timestamps into ISO event times', () => {
    const test = testContext()
    const mapper = new ItemMapper(
      'test',
      {
        records: 'data',
        filter: "e == 'trade'",
        fields: {symbol: 'upper(s)', price_usd: 'number(p)', timestamp: 'T', nested: '`x.y`'},
      },
      test.context,
    )
    const body = {
      data: [
        {e: 'trade', s: 'btcusdt', p: '100.5', T: 1_700_000_000_123, x: {y: true}},
        {e: 'kline', s: 'btcusdt'},
      ],
    }
    const {records, found} = mapper.map(body, 0)
    expect(found).to.equal(true)
    expect(records).to.deep.equal([
      {symbol: 'BTCUSDT', price_usd: 100.5, timestamp: '2023-11-14T22:13:20.123Z', nested: true},
    ])
    expect(test.counts.get('filtered_out')).to.equal(1)
  })

  it('reads seconds, ISO text and numeric text; stamps the receive time when no timestamp is mapped', () => {
    const test = testContext()
    const seconds = new ItemMapper('t', {fields: {timestamp: 't'}, timestampUnit: 's'}, test.context)
    expect(seconds.map({t: '1700000000'}, 0).records[0].timestamp).to.equal('2023-11-14T22:13:20.000Z')
    const iso = new ItemMapper('t', {fields: {timestamp: 't'}}, test.context)
    expect(iso.map({t: '2024-01-02T03:04:05.678901Z'}, 0).records[0].timestamp).to.equal('2024-01-02T03:04:05.678Z')
    const none = new ItemMapper('t', {fields: {v: 'v'}}, test.context)
    expect(none.map({v: 1}, Date.UTC(2025, 0, 1)).records).to.deep.equal([
      {v: 1, timestamp: '2025-01-01T00:00:00.000Z'},
    ])
  })

  it('leaves out items whose timestamp is not a time, counts them and warns once', () => {
    const test = testContext()
    const mapper = new ItemMapper('t', {fields: {timestamp: 't', v: 'v'}}, test.context)
    const {records} = mapper.map(
      [
        {t: 'soon', v: 1},
        {t: null, v: 2},
        {t: 5, v: 3},
      ],
      0,
    )
    expect(records).to.deep.equal([{timestamp: '1970-01-01T00:00:00.005Z', v: 3}])
    expect(test.counts.get('rejected_invalid_timestamp')).to.equal(2)
    expect(test.logs.filter((line) => line.includes('is not a time'))).to.have.length(1)
  })

  it('reports a bad path and bad expressions at their keys', () => {
    const issues = mappingIssues({records: 'a..b', fields: {ok: 'x', bad: 'rnd(x)'}, filter: 'a =='})
    expect(issues.map((issue) => issue.path)).to.deep.equal([['records'], ['fields', 'bad'], ['filter']])
    expect(issues[1].message).to.match(/unknown function "rnd"/)
  })
})
