/**
 * What `etl validate` reports about a csv sink's output file, and that it reports only what start-up fails on too:
 * each reported config is refused by create, and each config it passes (a header past the recorded positions
 * included) is one create accepts.
 */
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import csv from '../../../../src/plugins/sink/csv/index.js'
import type {SinkInstance} from '../../../../src/runtime/plugin-types.js'
import {checkConfig} from '../../../../src/testing/index.js'
import {configFor, testContext} from '../../../support/plugin-context.js'

describe('csv sink: output file checks (validateConfig)', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'etl-csv-checks-'))
  })
  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  const issues = (config: Record<string, unknown>) => checkConfig(csv, config)

  /** Start-up with the same config: undefined when create accepts it, else the error's message. */
  async function startUp(config: Record<string, unknown>): Promise<string | undefined> {
    try {
      const sink = (await csv.create(configFor(csv, config), testContext({cwd: dir}).context)) as SinkInstance
      await sink.close()
      return undefined
    } catch (error) {
      return (error as Error).message
    }
  }

  it('passes a new file in folders still to be created, and creates nothing', async () => {
    const path = join(dir, 'a', 'b', 'out.csv')
    expect(await issues({path, columns: ['x']})).to.deep.equal([])
    expect(await readFile(path).catch(() => 'absent')).to.equal('absent')
  })

  it('does not look at the default path (it names the pipeline, which validation does not know)', async () => {
    expect(await issues({columns: ['x']})).to.deep.equal([])
  })

  it('reports a path that is a folder, at path', async () => {
    const found = await issues({path: dir})
    expect(found).to.have.length(1)
    expect(found[0].path).to.deep.equal(['path'])
    expect(found[0].message).to.include('is a folder, not a file')
    expect(await startUp({path: dir})).to.be.a('string')
  })

  it('reports a folder that cannot be created because a file stands in its way, at path', async () => {
    await writeFile(join(dir, 'taken'), 'a file\n')
    const path = join(dir, 'taken', 'sub', 'out.csv')
    const found = await issues({path})
    expect(found).to.have.length(1)
    expect(found[0].path).to.deep.equal(['path'])
    expect(found[0].message).to.include(`cannot create the folder ${join(dir, 'taken', 'sub')}`)
    expect(found[0].message).to.include(`${join(dir, 'taken')} is a file`)
    expect(await startUp({path})).to.be.a('string')
  })

  it('reports a folder it may not write in, at path', async function () {
    // root writes anywhere: the permission check only means something for other users.
    if (process.getuid?.() === 0) this.skip()
    const locked = join(dir, 'locked')
    await mkdir(locked)
    await chmod(locked, 0o555)
    try {
      const found = await issues({path: join(locked, 'new', 'out.csv')})
      expect(found.map((issue) => issue.path)).to.deep.equal([['path']])
      expect(found[0].message).to.include('is not writable')
    } finally {
      await chmod(locked, 0o755)
    }
  })

  it('reports configured columns that differ from the existing header, at columns, as start-up does', async () => {
    const path = join(dir, 'prices.csv')
    await writeFile(path, 'timestamp,price\n2025-01-01T00:00:00Z,1\n')
    const config = {path, columns: ['timestamp', 'price_usd']}
    const found = await issues(config)
    expect(found).to.have.length(1)
    expect(found[0].path).to.deep.equal(['columns'])
    expect(found[0].message).to.include('already has the header timestamp,price')
    expect(found[0].message).to.include('differs from columns timestamp,price_usd')
    expect(await startUp(config)).to.equal(`csv: ${found[0].message}`)
  })

  it('reads the header with the configured delimiter', async () => {
    const path = join(dir, 'semi.csv')
    await writeFile(path, 'a;b\n1;2\n')
    expect(await issues({path, delimiter: ';', columns: ['a', 'b']})).to.deep.equal([])
    expect(await issues({path, delimiter: ';', columns: ['b', 'a']})).to.have.length(1)
  })

  it('passes what start-up accepts: a matching header, no columns, header off, an empty file', async () => {
    const path = join(dir, 'prices.csv')
    await writeFile(path, 'timestamp,price\n')
    const empty = join(dir, 'empty.csv')
    await writeFile(empty, '')
    const configs = [
      {path, columns: ['timestamp', 'price']},
      {path},
      {path, columns: ['other'], header: false},
      {path: empty, columns: ['other']},
    ]
    for (const config of configs) {
      expect(await issues(config), JSON.stringify(config)).to.deep.equal([])
      expect(await startUp(config), JSON.stringify(config)).to.equal(undefined)
    }
  })

  it('passes a header that start-up cuts off because it lies past the recorded positions', async () => {
    const path = join(dir, 'prices.csv')
    // A header and a row written after the last recorded position (length 0): start-up removes both.
    await writeFile(path, 'timestamp,price\n2025-01-01T00:00:00Z,1\n')
    await writeFile(`${path}.offsets.json`, JSON.stringify({version: 1, topic: 't', bytes: 0, partitions: {}}) + '\n')
    const config = {path, columns: ['timestamp', 'price_usd']}
    expect(await issues(config)).to.deep.equal([])
    expect(await startUp(config)).to.equal(undefined)
  })
})
