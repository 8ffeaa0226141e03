import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {parse} from 'csv-parse/sync'
import {formulaGuardCast, neutralizeFormula} from '../../../../src/plugins/sink/csv/csv-formula-guard.js'
import csv from '../../../../src/plugins/sink/csv/index.js'
import type {SinkInstance} from '../../../../src/runtime/plugin-types.js'
import {configFor, testContext} from '../../../support/plugin-context.js'

describe('csv formula guard', () => {
  it('quotes text a spreadsheet would run as a formula (OWASP CSV injection triggers)', () => {
    for (const text of [
      '=1+1',
      '+A1',
      '-cmd',
      '@SUM(A1:A2)',
      '\t=1',
      '\r=1',
      '=HYPERLINK("http://x","y")',
      '-5+3',
      '+',
      '-',
    ]) {
      expect(neutralizeFormula(text), JSON.stringify(text)).to.equal(`'${text}`)
    }
  })

  it('leaves plain numbers written as text, ordinary text and the empty string alone', () => {
    for (const text of ['-5.2', '+3', '-1e-7', '.5', '-0.', '42', 'BTC', 'a=b', ' =1', '', "'=already"]) {
      expect(neutralizeFormula(text), JSON.stringify(text)).to.equal(text)
    }
  })

  it('is off only when the config says neutralizeFormulas: false', () => {
    expect(formulaGuardCast({})('=1')).to.equal("'=1")
    expect(formulaGuardCast({neutralizeFormulas: true})('=1')).to.equal("'=1")
    expect(formulaGuardCast({neutralizeFormulas: false})('=1')).to.equal('=1')
  })

  describe('through the csv sink', () => {
    let dir: string
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'etl-csv-formula-'))
    })
    afterEach(async () => {
      await rm(dir, {recursive: true, force: true})
    })

    async function write(config: Record<string, unknown>, records: Record<string, unknown>[]): Promise<string> {
      const test = testContext({cwd: dir})
      const sink = (await csv.create(configFor(csv, {path: 'out.csv', ...config}), test.context)) as SinkInstance
      await sink.write(records)
      await sink.close()
      return readFile(join(dir, 'out.csv'), 'utf8')
    }

    const hostile = {
      symbol: '=HYPERLINK("http://evil.example","click")',
      price_usd: -5.2,
      note: '-5.2',
      cmd: "@SUM(1+1)*cmd|' /C calc'!A0",
    }

    it('writes a formula-looking symbol as text and keeps numbers and numeric text as they are', async () => {
      const text = await write({}, [hostile])
      const [header, row] = parse(text) as string[][]
      expect(header).to.deep.equal(['symbol', 'price_usd', 'note', 'cmd'])
      expect(row).to.deep.equal([
        '\'=HYPERLINK("http://evil.example","click")',
        '-5.2',
        '-5.2',
        "'@SUM(1+1)*cmd|' /C calc'!A0",
      ])
      expect(text.split('\n')[1].startsWith('"\'=HYPERLINK(')).to.equal(true)
    })

    it('neutralizeFormulas: false writes the text untouched', async () => {
      const [, row] = parse(await write({neutralizeFormulas: false}, [hostile])) as string[][]
      expect(row[0]).to.equal('=HYPERLINK("http://evil.example","click")')
    })

    it('the schema documents the option and defaults it to true', () => {
      const property = (csv.configSchema.properties as Record<string, Record<string, unknown>>).neutralizeFormulas
      expect(property).to.include({type: 'boolean', default: true})
      expect(property).to.include.keys('description', 'examples')
      expect(configFor(csv, {})).to.include({neutralizeFormulas: true})
    })
  })
})
