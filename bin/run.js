#!/usr/bin/env node
// Checked before anything is imported: on an old Node the dependencies fail with obscure syntax or import errors.
const [major] = process.versions.node.split('.').map(Number)
if (major < 22) {
  process.stderr.write(
    `ETL_NODE_VERSION: etl needs Node.js 22 or newer (24 LTS recommended); this is Node ${process.versions.node}.\n`,
  )
  process.exit(1)
}
// kafkajs 2.2.4 passes a negative timeout to setTimeout on Node >= 24 (harmless, it is clamped to 1 ms); hide that
// one warning so real ones stay visible.
process.removeAllListeners('warning')
process.on('warning', (warning) => {
  if (warning.name === 'TimeoutNegativeWarning') return
  process.stderr.write(`${warning.name}: ${warning.message}\n`)
})
const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
