import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {expect} from 'chai'
import vegaLite from '../../../../src/plugins/chart/vega-lite/index.js'
import {configFor, issuesOf} from '../../../support/plugin-context.js'

describe('vega-lite chart: spec validation', function () {
  // The Vega-Lite JSON schema (1.9 MB) is compiled on first use, about a second.
  this.timeout(60_000)
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-spec-'))
  })
  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  /** validateConfig for a spec file with `text`, named by a cwd-relative path as a user would write it. */
  async function issuesFor(name: string, text: string | undefined, extra: Record<string, unknown> = {}) {
    const path = join(dir, name)
    if (text !== undefined) await writeFile(path, text)
    const spec = relative(process.cwd(), path)
    const issues = await issuesOf(vegaLite, configFor(vegaLite, {spec, output: {png: 'x.png'}, ...extra}))
    return {spec, issues}
  }

  it('accepts both shipped specs', async () => {
    for (const spec of ['charts/price.vl.json', 'charts/candles.vl.json']) {
      expect(await issuesOf(vegaLite, configFor(vegaLite, {spec, output: {png: 'x.png'}}))).to.deep.equal([])
    }
  })

  it('pins a bad mark to its line:col and lists the allowed marks', async () => {
    const text = [
      '{',
      '  "data": {"name": "rows"},',
      '  "layer": [',
      '    {"mark": "line", "encoding": {"x": {"field": "t", "type": "temporal"}}},',
      '    {"mark": "lin", "encoding": {"x": {"field": "t", "type": "temporal"}}}',
      '  ]',
      '}',
    ].join('\n')
    const {spec, issues} = await issuesFor('bad-mark.vl.json', text)
    expect(issues).to.have.length(1)
    expect(issues[0].path).to.deep.equal(['spec'])
    expect(issues[0].message).to.match(new RegExp(`^${spec}:5:14 /layer/1/mark: must be one of .*"line"`))
    expect(issues[0].message).to.include('"bar"')
  })

  it('pins a bad encoding type and names an unknown property', async () => {
    const typo = await issuesFor(
      'bad-type.vl.json',
      '{\n  "data": {"name": "rows"},\n  "mark": "line",\n  "encoding": {"x": {"field": "t", "type": "tempral"}}\n}\n',
    )
    expect(typo.issues.map((issue) => issue.message)).to.deep.equal([
      `${typo.spec}:4:44 /encoding/x/type: must be one of "quantitative", "ordinal", "temporal", "nominal", "geojson"`,
    ])
    const unknown = await issuesFor(
      'unknown.vl.json',
      '{\n  "data": {"name": "rows"},\n  "mark": "line",\n  "encodng": {}\n}\n',
    )
    expect(unknown.issues.map((issue) => issue.message)).to.deep.equal([
      `${unknown.spec}:4:3 /encodng: unknown property "encodng"`,
    ])
  })

  it('reports a file that is not JSON with line:col', async () => {
    const {spec, issues} = await issuesFor(
      'not-json.vl.json',
      '{\n  "data": {"name": "rows"},\n  "mark": "line"\n  "encoding": {}\n}\n',
    )
    expect(issues).to.have.length(1)
    expect(issues[0].message).to.match(new RegExp(`^${spec}:4:3 not valid JSON: `))
  })

  it('names a missing spec file', async () => {
    const {spec, issues} = await issuesFor('missing.vl.json', undefined)
    expect(issues).to.deep.equal([
      {path: ['spec'], message: `${spec}: spec file not found (${join(dir, 'missing.vl.json')})`},
    ])
  })

  it('reports a spec that does not read the rows, and expression errors Vega-Lite passes through', async () => {
    const noRows = await issuesFor('no-rows.vl.json', '{"data": {"values": [{"a": 1}]}, "mark": "point"}')
    expect(noRows.issues[0].message).to.include('give it "data": {"name": "rows"}')
    const badExpression = await issuesFor(
      'bad-expr.vl.json',
      '{"data": {"name": "rows"}, "transform": [{"calculate": "datum.close >=", "as": "up"}], "mark": "point"}',
    )
    expect(badExpression.issues).to.have.length(1)
    expect(badExpression.issues[0].message).to.match(/Vega-Lite cannot compile it: .*(Unexpected|expression)/i)
  })

  it('rejects a zero window', async () => {
    const {issues} = await issuesFor('ok.vl.json', '{"data": {"name": "rows"}, "mark": "point"}', {window: '0s'})
    expect(issues).to.deep.equal([{path: ['window'], message: 'window must be longer than zero'}])
  })
})
