/**
 * oclif's command manifest (oclif.manifest.json at the package root): with it, oclif imports only the command that
 * runs; without it, it imports every command, and with them everything they import, on each start (`etl --version`
 * included). `npm run build` writes it (scripts/write-oclif-manifest.mjs) with @oclif/core's own Plugin loader, so the
 * `oclif` dev tool is not needed.
 *
 * A manifest is only trusted while it describes the built commands: a `tsc` alone after a command was added or
 * changed leaves an old one behind, whose command list and help would be wrong. So it carries a fingerprint of
 * dist/commands/ and bin/run.js passes `ignoreManifest` when that no longer matches (oclif then reads the commands
 * themselves, as it does without a manifest: slower, never wrong).
 */
import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

export const MANIFEST_FILE = 'oclif.manifest.json'
/** Where `oclif.commands` of package.json points: the built commands. */
const COMMANDS_DIR = join('dist', 'commands')

/** The base command every command extends: its flags are in every command's manifest entry. */
const BASE_COMMAND = join('dist', 'cli', 'base-command.js')

/** sha256 over the relative path and content of every .js file under dist/commands/, in path order, and the base. */
export function commandsFingerprint(root: string): string {
  const dir = join(root, COMMANDS_DIR)
  const files = readdirSync(dir, {recursive: true, encoding: 'utf8'})
    .filter((file) => file.endsWith('.js'))
    .sort()
  const hash = createHash('sha256')
  if (existsSync(join(root, BASE_COMMAND))) hash.update(readFileSync(join(root, BASE_COMMAND))).update('\0')
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(dir, file)))
      .update('\0')
  return hash.digest('hex')
}

/** True when `root` holds a manifest written for the commands now in dist/commands/. */
export function isManifestCurrent(root: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(root, MANIFEST_FILE), 'utf8')) as {etlCommandsFingerprint?: unknown}
    return manifest.etlCommandsFingerprint === commandsFingerprint(root)
  } catch {
    return false
  }
}

/**
 * Writes the manifest the way `oclif manifest` does: the root plugin loaded while ignoring any existing manifest, so
 * oclif imports each command and caches its flags, args and summary. A command that fails to load fails the build.
 */
export async function writeManifest(root: string): Promise<string> {
  const {Plugin} = await import('@oclif/core')
  const plugin = new Plugin({
    root,
    type: 'core',
    isRoot: true,
    ignoreManifest: true,
    errorOnManifestCreate: true,
    respectNoCacheDefault: true,
  })
  await plugin.load()
  const manifest = {...plugin.manifest, etlCommandsFingerprint: commandsFingerprint(root)}
  const path = join(root, MANIFEST_FILE)
  writeFileSync(path, JSON.stringify(manifest, null, 2) + '\n')
  return path
}
