import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {commandsFingerprint, isManifestCurrent, MANIFEST_FILE} from '../../src/cli/command-manifest.js'

describe("oclif's command manifest: trusted only while it matches the built commands", () => {
  let root: string
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'etl-manifest-'))
    await mkdir(join(root, 'dist', 'commands', 'kafka'), {recursive: true})
    await writeFile(join(root, 'dist', 'commands', 'run.js'), 'export default class Run {}\n')
    await writeFile(join(root, 'dist', 'commands', 'kafka', 'start.js'), 'export default class Start {}\n')
  })
  afterEach(async () => {
    await rm(root, {recursive: true, force: true})
  })

  const writeManifestFile = (fingerprint: string) =>
    writeFile(
      join(root, MANIFEST_FILE),
      JSON.stringify({version: '0.1.0', commands: {}, etlCommandsFingerprint: fingerprint}),
    )

  it('is current when its fingerprint is that of dist/commands/', async () => {
    expect(isManifestCurrent(root), 'no manifest').to.equal(false)
    await writeManifestFile(commandsFingerprint(root))
    expect(isManifestCurrent(root)).to.equal(true)
  })

  it('is out of date once a command was changed, added or removed (a tsc without the rest of the build)', async () => {
    const before = commandsFingerprint(root)
    await writeManifestFile(before)
    await writeFile(join(root, 'dist', 'commands', 'run.js'), 'export default class Run { static summary = "x" }\n')
    expect(isManifestCurrent(root), 'changed').to.equal(false)
    await writeManifestFile(commandsFingerprint(root))
    await writeFile(join(root, 'dist', 'commands', 'kafka', 'status.js'), 'export default class Status {}\n')
    expect(isManifestCurrent(root), 'added').to.equal(false)
    await rm(join(root, 'dist', 'commands', 'kafka', 'status.js'))
    expect(isManifestCurrent(root), 'removed again').to.equal(true)
    // Not JavaScript: source maps and declarations beside the commands do not count.
    await writeFile(join(root, 'dist', 'commands', 'run.js.map'), '{}')
    expect(isManifestCurrent(root)).to.equal(true)
  })

  it('is not current when the manifest is unreadable', async () => {
    await writeFile(join(root, MANIFEST_FILE), '{not json')
    expect(isManifestCurrent(root)).to.equal(false)
  })
})
