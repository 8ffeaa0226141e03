/** The pipeline-file safety limits at their boundaries: the last accepted value passes, one more is refused. */
import {expect} from 'chai'
import {interpolateEnv, MAX_EXPANDED_CHARS} from '../../../src/runtime/config/interpolate-env.js'
import {parseYaml} from '../../../src/runtime/config/yaml-document.js'
import {
  checkStructure,
  checkText,
  decodePipelineBytes,
  MAX_ALIASES,
  MAX_LINE_CHARS,
  MAX_NESTING_DEPTH,
} from '../../../src/runtime/config/yaml-limits.js'

describe('pipeline file limits', () => {
  describe('decodePipelineBytes', () => {
    it('accepts UTF-8, including a U+FFFD that is really in the file', () => {
      const {text, problems} = decodePipelineBytes('p.yaml', Buffer.from('a: "caf\uFFFD é"\n'))
      expect(problems).to.deep.equal([])
      expect(text).to.equal('a: "caf\uFFFD é"\n')
    })

    it('points at the first invalid byte, past a genuine U+FFFD, with line and column', () => {
      const bytes = Buffer.concat([Buffer.from('a: \uFFFD\nbb: x'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')])
      const {problems} = decodePipelineBytes('p.yaml', bytes)
      expect(problems).to.have.length(1)
      expect(problems[0]).to.include({line: 2, col: 6, code: 'ETL_CONFIG_ENCODING'})
      expect(problems[0].message).to.include('bytes c3 28 0a at byte 12')
    })
  })

  describe('checkText', () => {
    it(`accepts a line of exactly ${MAX_LINE_CHARS} characters, tabs and CRLF; refuses one more`, () => {
      expect(checkText('p.yaml', `a:\t${'x'.repeat(MAX_LINE_CHARS - 3)}\r\nb: 1\r\n`)).to.deep.equal([])
      const [problem] = checkText('p.yaml', `a: 1\nb: ${'x'.repeat(MAX_LINE_CHARS - 2)}\n`)
      expect(problem).to.include({line: 2, col: MAX_LINE_CHARS + 1, code: 'ETL_CONFIG_LIMIT'})
      expect(problem.message).to.include(`line 2 is ${MAX_LINE_CHARS + 1} characters long`)
    })

    it('refuses control characters other than tab, LF and CR, naming them', () => {
      expect(checkText('p.yaml', 'a: 1\nb: x\u001by\n')[0]).to.include({line: 2, col: 5, code: 'ETL_CONFIG_ENCODING'})
      expect(checkText('p.yaml', 'a: \u0000')[0].message).to.include('NUL')
    })
  })

  describe('checkStructure', () => {
    const nested = (levels: number) => `x: ${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}\n`

    const title =
      `accepts ${MAX_NESTING_DEPTH} levels of nesting (the top mapping included) ` +
      `and refuses ${MAX_NESTING_DEPTH + 1}`
    it(title, () => {
      expect(checkStructure('p.yaml', nested(MAX_NESTING_DEPTH))).to.deep.equal([])
      const [problem] = checkStructure('p.yaml', nested(MAX_NESTING_DEPTH + 1))
      expect(problem).to.include({line: 1, col: 3 + MAX_NESTING_DEPTH, code: 'ETL_CONFIG_LIMIT'})
    })

    it('counts block nesting too, and refuses a document stream', () => {
      const block =
        Array.from({length: MAX_NESTING_DEPTH + 1}, (_, i) => `${' '.repeat(i)}k${i}:\n`).join('') +
        `${' '.repeat(101)}v\n`
      expect(checkStructure('p.yaml', block)[0]).to.include({line: MAX_NESTING_DEPTH + 1, code: 'ETL_CONFIG_LIMIT'})
      const [stream] = checkStructure('p.yaml', 'a: 1\n---\na: 2\n')
      expect(stream).to.include({line: 2, code: 'ETL_CONFIG_INVALID'})
    })
  })

  describe('parseYaml', () => {
    const aliases = (count: number) => `anchor: &a x\nlist: [${Array.from({length: count}, () => '*a').join(', ')}]\n`

    it(`accepts ${MAX_ALIASES} aliases and refuses ${MAX_ALIASES + 1}`, () => {
      expect(parseYaml('p.yaml', aliases(MAX_ALIASES)).problems).to.deep.equal([])
      const {problems} = parseYaml('p.yaml', aliases(MAX_ALIASES + 1))
      expect(problems).to.have.length(1)
      expect(problems[0]).to.include({line: 2, code: 'ETL_CONFIG_LIMIT'})
    })

    it('allows the core tags spelled out and refuses others once each, at their node', () => {
      expect(parseYaml('p.yaml', 'a: !!str 1\nb: !!int "2"\nc: !!map {x: 1}\n').problems).to.deep.equal([])
      const {problems} = parseYaml('p.yaml', 'a: ok\nb: !!set {x}\nc: !Custom y\n')
      expect(problems.map((p) => [p.line, p.message.split(' is ')[0]])).to.deep.equal([
        [2, 'YAML: the tag !!set'],
        [3, 'YAML: the tag !Custom'],
      ])
    })

    it('ignores a %YAML 1.1 directive: no merge keys, no yes/no booleans', () => {
      const parsed = parseYaml('p.yaml', '%YAML 1.1\n---\nb: &b {x: 1}\n<<: *b\nc: yes\n')
      expect(parsed.problems).to.deep.equal([])
      expect(parsed.doc.toJS()).to.deep.equal({b: {x: 1}, '<<': {x: 1}, c: 'yes'})
    })
  })

  describe('interpolateEnv', () => {
    it(`accepts an expansion of exactly ${MAX_EXPANDED_CHARS} characters and refuses one more`, () => {
      const half = 'y'.repeat(MAX_EXPANDED_CHARS / 2)
      const ok = parseYaml('p.yaml', 'a: ${V}${V}\n')
      expect(interpolateEnv(ok, {V: half}).problems).to.deep.equal([])
      expect((ok.doc.toJS() as {a: string}).a).to.have.length(MAX_EXPANDED_CHARS)
      const tooLong = parseYaml('p.yaml', 'a: ${V}${V}x\n')
      const {problems} = interpolateEnv(tooLong, {V: half})
      expect(problems).to.have.length(1)
      expect(problems[0]).to.include({line: 1, col: 4, path: 'a', code: 'ETL_CONFIG_LIMIT'})
    })

    it('inserts a value containing ${...} literally: no self-reference, no loop', () => {
      const parsed = parseYaml('p.yaml', 'a: ${SELF}\n')
      expect(interpolateEnv(parsed, {SELF: '${SELF}'}).problems).to.deep.equal([])
      expect(parsed.doc.toJS()).to.deep.equal({a: '${SELF}'})
    })
  })
})
