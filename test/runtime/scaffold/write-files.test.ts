import {expect} from 'chai'
import {existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {isEtlError, type EtlError} from '../../../src/runtime/errors.js'
import type {ScaffoldFile} from '../../../src/runtime/scaffold/render-template.js'
import {existingFiles, writeFilesOnce} from '../../../src/runtime/scaffold/write-files.js'

const FILES: ScaffoldFile[] = [
  {path: 'package.json', content: '{}\n'},
  {path: 'src/index.ts', content: 'export {}\n'},
  {path: 'test/deep/index.test.ts', content: '// test\n'},
]

function refusal(run: () => unknown): EtlError {
  try {
    run()
  } catch (error) {
    if (isEtlError(error)) return error
    throw error
  }
  throw new Error('expected ETL_FILE_EXISTS, but nothing was thrown')
}

/** Every file under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort()
}

describe('writeFilesOnce', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-write-files-'))
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  it('writes every file, creating the folder and its subfolders', () => {
    const target = join(dir, 'new', 'pkg')
    const written = writeFilesOnce(target, FILES)
    expect(written).to.deep.equal(FILES.map((file) => join(target, file.path)))
    for (const file of FILES) expect(readFileSync(join(target, file.path), 'utf8')).to.equal(file.content)
  })

  it('writes into a folder that exists, next to other files', () => {
    writeFileSync(join(dir, 'notes.txt'), 'mine')
    writeFilesOnce(dir, FILES)
    expect(tree(dir)).to.deep.equal(['notes.txt', 'package.json', 'src/index.ts', 'test/deep/index.test.ts'])
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).to.equal('mine')
  })

  it('writes nothing when one file exists, and lists each one that does (ETL_FILE_EXISTS, exit 1)', () => {
    mkdirSync(join(dir, 'test', 'deep'), {recursive: true})
    writeFileSync(join(dir, 'test', 'deep', 'index.test.ts'), 'keep me')
    writeFileSync(join(dir, 'package.json'), 'keep me too')
    const error = refusal(() => writeFilesOnce(dir, FILES))
    expect(error.code).to.equal('ETL_FILE_EXISTS')
    expect(error.exitCode).to.equal(1)
    expect(error.message)
      .to.include(join(dir, 'package.json'))
      .and.include(join(dir, 'test', 'deep', 'index.test.ts'))
    expect(error.message).to.not.include('index.ts\n').and.not.include(join(dir, 'src'))
    const inTheWay = [join(dir, 'package.json'), join(dir, 'test', 'deep', 'index.test.ts')]
    expect(error.details).to.deep.equal({files: inTheWay})
    expect(tree(dir)).to.deep.equal(['package.json', 'test/deep/index.test.ts'])
    expect(existsSync(join(dir, 'src')), 'no folder created either').to.equal(false)
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).to.equal('keep me too')
    expect(readFileSync(join(dir, 'test', 'deep', 'index.test.ts'), 'utf8')).to.equal('keep me')
  })

  it('counts a folder, a symlink or a file in place of a folder as in the way', () => {
    mkdirSync(join(dir, 'package.json'))
    writeFileSync(join(dir, 'src'), 'a file where the folder src/ would go')
    mkdirSync(join(dir, 'test', 'deep'), {recursive: true})
    symlinkSync(join(dir, 'nowhere'), join(dir, 'test', 'deep', 'index.test.ts'))
    const error = refusal(() => writeFilesOnce(dir, FILES))
    const inTheWay = ['package.json', 'src/index.ts', 'test/deep/index.test.ts'].map((path) => join(dir, path))
    expect(error.details?.files).to.deep.equal(inTheWay)
    expect(tree(dir)).to.deep.equal(['src'])
    expect(existsSync(join(dir, 'nowhere')), 'the dangling link was not followed').to.equal(false)
  })

  it('a file the system will not write (a name too long): ETL_FILE_WRITE; what was written is removed', () => {
    const target = join(dir, 'pkg')
    const files = [
      {path: 'README.md', content: 'readme'},
      {path: 'x'.repeat(300), content: 'never'},
    ]
    const error = refusal(() => writeFilesOnce(target, files))
    expect(error.code).to.equal('ETL_FILE_WRITE')
    expect(error.message).to.match(/^nothing was written: cannot write into .*pkg: ENAMETOOLONG/)
    expect(readdirSync(target)).to.deep.equal([])
  })

  it('refuses a target folder that is a file', () => {
    const file = join(dir, 'pkg')
    writeFileSync(file, 'x')
    expect(existingFiles(file, FILES)).to.deep.equal([file])
    expect(refusal(() => writeFilesOnce(file, FILES)).code).to.equal('ETL_FILE_EXISTS')
    expect(readFileSync(file, 'utf8')).to.equal('x')
  })

  it('shows paths relative to the working directory when they are below it', () => {
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      writeFileSync(join(dir, 'package.json'), '{}')
      expect(existingFiles('.', FILES)).to.deep.equal(['package.json'])
      expect(existingFiles(join(dir, 'sub'), FILES)).to.deep.equal([])
    } finally {
      process.chdir(cwd)
    }
  })
})
