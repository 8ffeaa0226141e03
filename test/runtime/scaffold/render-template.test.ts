import {expect} from 'chai'
import {mkdirSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {isEtlError} from '../../../src/runtime/errors.js'
import {outputPath, renderTemplate, renderTemplateDir} from '../../../src/runtime/scaffold/render-template.js'

describe('scaffold templates', () => {
  it('replaces every {{placeholder}}, with or without spaces inside the braces, and leaves other text alone', () => {
    const text = 'name: {{name}}\nkind: {{ kind }}\nagain: {{name}}\nnot one: { {name} } {{ 9x }}\n'
    expect(renderTemplate(text, {name: 'upper', kind: 'transform'})).to.equal(
      'name: upper\nkind: transform\nagain: upper\nnot one: { {name} } {{ 9x }}\n',
    )
  })

  it('writes numbers as they are', () => {
    expect(renderTemplate('{"pluginApi": {{api}}}', {api: 1}, 'package.json')).to.equal('{"pluginApi": 1}')
  })

  it('escapes values for JSON in a .json file (they sit inside strings there), not elsewhere', () => {
    const spec = 'file:C:\\work\\my "etl"'
    const json = renderTemplate('{"etl": "{{spec}}"}', {spec}, 'package.json')
    expect(JSON.parse(json)).to.deep.equal({etl: spec})
    expect(renderTemplate('etl: {{spec}}', {spec}, 'README.md')).to.equal(`etl: ${spec}`)
  })

  it('throws on a placeholder without a value, naming the file and the placeholder', () => {
    let error: unknown
    try {
      renderTemplate('a {{known}} b {{missing}}', {known: 'x'}, 'src/index.ts')
    } catch (caught) {
      error = caught
    }
    expect(isEtlError(error)).to.equal(true)
    expect((error as Error).message).to.equal('src/index.ts: no value for placeholder {{missing}}')
  })

  it('writes a template named gitignore as .gitignore, in any folder', () => {
    expect(outputPath('gitignore')).to.equal('.gitignore')
    expect(outputPath('sub/gitignore')).to.equal('sub/.gitignore')
    expect(outputPath('src/gitignore.ts')).to.equal('src/gitignore.ts')
  })

  describe('renderTemplateDir', () => {
    let dir: string
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'etl-templates-'))
    })
    afterEach(() => rm(dir, {recursive: true, force: true}))

    it('renders every file of a folder tree, paths relative to it and sorted', () => {
      mkdirSync(join(dir, 'src', 'deep'), {recursive: true})
      writeFileSync(join(dir, 'package.json'), '{"name": "{{name}}"}')
      writeFileSync(join(dir, 'gitignore'), 'dist/\n')
      writeFileSync(join(dir, 'src', 'index.ts'), "export const name = '{{name}}'\n")
      writeFileSync(join(dir, 'src', 'deep', 'x.md'), '# {{name}}\n')
      expect(renderTemplateDir(dir, {name: 'p'})).to.deep.equal([
        {path: '.gitignore', content: 'dist/\n'},
        {path: 'package.json', content: '{"name": "p"}'},
        {path: 'src/deep/x.md', content: '# p\n'},
        {path: 'src/index.ts', content: "export const name = 'p'\n"},
      ])
    })
  })
})
