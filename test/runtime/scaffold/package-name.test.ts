import {expect} from 'chai'
import {packageNameProblems, pluginNameOf} from '../../../src/runtime/scaffold/package-name.js'

describe('npm package names', () => {
  it('accepts plain and scoped names npm accepts', () => {
    for (const name of ['etl-plugin-upper', 'upper', 'a.b_c-d', 'x1', '@me/etl-plugin-upper', '@my-org/a.b']) {
      expect(packageNameProblems(name), name).to.deep.equal([])
    }
  })

  const invalid: [string, string][] = [
    ['', 'the name is empty'],
    ['Upper', 'the name must be lower case'],
    ['.hidden', 'the name must not start with "." or "_"'],
    ['_private', 'the name must not start with "." or "_"'],
    ['two words', 'the name may only hold URL-safe characters (a-z, 0-9, - . _)'],
    ['a/b', 'the name may only hold URL-safe characters (a-z, 0-9, - . _)'],
    ['wow!', "the name must not contain any of ~'!()*"],
    [' upper', 'the name must not start or end with spaces'],
    ['x'.repeat(215), 'the name must be at most 214 characters long'],
    ['node_modules', '"node_modules" is reserved'],
    ['fs', '"fs" is reserved'],
    ['http', '"http" is reserved'],
    ['@scope', 'a scoped name is written @scope/name'],
    ['@/upper', 'the scope is empty'],
    ['@me/', 'the name after the scope is empty'],
    ['@Me/upper', 'the scope must be lower case'],
    ['@me/a/b', 'the name after the scope may only hold URL-safe characters (a-z, 0-9, - . _)'],
  ]
  for (const [name, problem] of invalid) {
    it(`refuses ${JSON.stringify(name.length > 20 ? name.slice(0, 20) + '…' : name)}: ${problem}`, () => {
      expect(packageNameProblems(name)).to.include(problem)
    })
  }

  it('derives the plugin name from the package name', () => {
    expect(pluginNameOf('etl-plugin-upper')).to.equal('upper')
    expect(pluginNameOf('@me/etl-plugin-json-lines')).to.equal('json-lines')
    expect(pluginNameOf('etl-counter')).to.equal('counter')
    expect(pluginNameOf('my.sink')).to.equal('my-sink')
    expect(pluginNameOf('etl-plugin-')).to.equal('etl-plugin')
    expect(pluginNameOf('@x/_')).to.equal('plugin')
    for (const name of ['etl-plugin-upper', '@me/etl-plugin-json-lines', 'my.sink', 'a_b', '9lives']) {
      expect(pluginNameOf(name), name).to.match(/^[a-z0-9][a-z0-9_-]*$/)
    }
  })
})
