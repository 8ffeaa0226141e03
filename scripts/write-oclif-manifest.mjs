// Part of `npm run build`, after tsc: writes oclif.manifest.json for the commands just built (see
// src/cli/command-manifest.ts), so an installed etl starts without importing every command.
import {fileURLToPath} from 'node:url'
import {writeManifest} from '../dist/cli/command-manifest.js'

const root = fileURLToPath(new URL('..', import.meta.url))
await writeManifest(root)
