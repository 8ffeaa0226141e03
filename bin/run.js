#!/usr/bin/env node
// Checked before anything is imported: on an old Node the dependencies fail with obscure syntax or import errors.
const [major] = process.versions.node.split('.').map(Number)
if (major < 22) {
  process.stderr.write(
    `ETL_NODE_VERSION: etl needs Node.js 22 or newer (24 LTS recommended); this is Node ${process.versions.node}.\n`,
  )
  process.exit(1)
}
// V8's on-disk code cache for every module this process (and its chart-check worker) compiles: later runs skip
// parsing and compiling dependencies' code, which is most of a short command's start-up. In os.tmpdir() unless
// NODE_COMPILE_CACHE names another folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off. Never fails a command.
const {enableCompileCache} = await import('node:module')
enableCompileCache?.()
// A long `etl run` lets V8 grow its young generation to 128 MB, which is most of its RSS above the live data (~40 MB).
// With --max-semi-space-size=8 (a 16 MB young generation) the memory run of `npm run bench` stays far lower (see
// docs/BENCHMARKS.md; RSS target 150 MB). The price is more frequent scavenges: the GC's share of the process stage's
// CPU rose from 22–29 % to 35–41 % in paired runs.
// Heap sizes can only be set when the process starts, so `etl run` re-executes itself once with the flag, in place
// (process.execve keeps the pid, stdio and signals; Node >= 22.15 on Unix). A value the user set wins: in NODE_OPTIONS
// or on node's command line; NODE_OPTIONS=--max-semi-space-size=0 restores V8's default (more memory, less GC).
// Short commands are not worth the restart.
const SEMI_SPACE_FLAG = '--max-semi-space-size=8'
const userChoseSemiSpace = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) =>
  /--max[-_]semi[-_]space[-_]size/.test(arg),
)
if (process.argv[2] === 'run' && !userChoseSemiSpace && typeof process.execve === 'function') {
  try {
    process.execve(process.execPath, [process.execPath, SEMI_SPACE_FLAG, ...process.execArgv, ...process.argv.slice(1)])
  } catch {
    // Not replaced (exec refused): carry on in this process, with V8's default heap sizing.
  }
}
// kafkajs 2.2.4 passes a negative timeout to setTimeout on Node >= 24 (harmless, it is clamped to 1 ms); hide that
// one warning so real ones stay visible.
process.removeAllListeners('warning')
process.on('warning', (warning) => {
  if (warning.name === 'TimeoutNegativeWarning') return
  process.stderr.write(`${warning.name}: ${warning.message}\n`)
})
// oclif imports only the command that runs when the manifest `npm run build` wrote matches the built commands; an
// out-of-date one (a `tsc` alone after a command changed) is ignored: see src/cli/command-manifest.ts.
const {fileURLToPath} = await import('node:url')
const root = fileURLToPath(new URL('..', import.meta.url))
const ignoreManifest = await import('../dist/cli/command-manifest.js').then(
  (manifest) => !manifest.isManifestCurrent(root),
  () => true,
)
// @oclif/core checks Node against its own, older minimum when it loads, which costs it an import of semver; the check
// at the top of this file is the one that matters. Only for that import: child processes see the user's environment.
const skipOclifNodeCheck = process.env.OCLIF_DISABLE_ENGINE_WARNING === undefined
if (skipOclifNodeCheck) process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
const {execute} = await import('@oclif/core')
if (skipOclifNodeCheck) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
await execute({loadOptions: {root, ignoreManifest}})
