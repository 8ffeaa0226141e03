import {expect} from 'chai'
import {interpolateEnv} from '../../../src/runtime/config/interpolate-env.js'
import {parseYaml} from '../../../src/runtime/config/yaml-document.js'

function interpolate(text: string, env: NodeJS.ProcessEnv) {
  const parsed = parseYaml('p.yaml', text)
  const result = interpolateEnv(parsed, env)
  return {value: parsed.doc.toJS() as Record<string, unknown>, ...result}
}

describe('interpolateEnv', () => {
  it('replaces ${VAR} and ${VAR:-default} inside strings, keeping the rest of the text', () => {
    const {value, problems} = interpolate('a: http://${HOST}:${PORT:-8080}/x\n', {HOST: 'example'})
    expect(problems).to.deep.equal([])
    expect(value.a).to.equal('http://example:8080/x')
  })

  it('an empty variable counts as unset, so the default applies', () => {
    expect(interpolate('a: ${EMPTY:-fallback}\n', {EMPTY: ''}).value.a).to.equal('fallback')
  })

  it('types a whole unquoted ${...} like YAML would, but never turns it into structure', () => {
    const {value} = interpolate('n: ${N}\nb: ${B}\nq: "${N}"\ns: ${S}\n', {N: '3', B: 'true', S: '[1, 2]'})
    expect(value).to.deep.equal({n: 3, b: true, q: '3', s: '[1, 2]'})
  })

  it('$${ is a literal ${', () => {
    expect(interpolate('a: cost $${X}\n', {X: 'no'}).value.a).to.equal('cost ${X}')
  })

  it('reports a missing variable with its position and path, and names the variables used', () => {
    const {problems, variablesUsed} = interpolate('list:\n  - ok\n  - ${NOPE}\n', {})
    expect(problems).to.have.length(1)
    expect(problems[0]).to.include({line: 3, col: 5, path: 'list[1]', code: 'ETL_CONFIG_ENV_MISSING'})
    expect([...variablesUsed]).to.deep.equal(['NOPE'])
  })

  it('leaves keys alone', () => {
    expect(interpolate('${K}: v\n', {K: 'key'}).value).to.deep.equal({'${K}': 'v'})
  })
})
