import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {ERROR_CODES, EtlError, pluginFailure} from '../../src/runtime/errors.js'

describe('error codes', () => {
  const docs = readFileSync(join(import.meta.dirname, '../../docs/ERRORS.md'), 'utf8')
  const documented = [...docs.matchAll(/^## (ETL_[A-Z_]+)$/gm)].map((m) => m[1])

  it('every code is documented in docs/ERRORS.md, and every documented code exists', () => {
    expect(documented.sort()).to.deep.equal(Object.keys(ERROR_CODES).sort())
  })

  it('every code is ETL_ + upper snake case', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).to.match(/^ETL_[A-Z]+(_[A-Z]+)*$/)
  })

  it('pluginFailure names plugin, kind and stage and keeps the original as cause', () => {
    const original = new EtlError('ETL_SOURCE_PERMANENT', 'HTTP 401: API key missing')
    const wrapped = pluginFailure({name: 'coingecko', kind: 'source'}, 'source', 'run', original)
    expect(wrapped.code).to.equal('ETL_PLUGIN_FAILED')
    expect(wrapped.message).to.equal(
      'source plugin "coingecko" failed in run (stage source): ETL_SOURCE_PERMANENT: HTTP 401: API key missing',
    )
    expect(wrapped.cause).to.equal(original)
    expect(wrapped.details).to.deep.equal({plugin: 'coingecko', kind: 'source', stage: 'source', action: 'run'})
  })
})
