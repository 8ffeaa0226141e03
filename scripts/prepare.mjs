// `npm prepare` of etl. In a checkout (src/ is there) it patches kafkajs and builds dist/. In an installed copy — which
// npm also "prepares" when a project depends on it by folder (file:…, as `etl plugin new` and `etl init` write) — it
// does nothing: the tarball already holds dist/ and the patched kafkajs, and none of the build tools.
import {execSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
if (existsSync(`${root}/src`) && existsSync(`${root}/tsconfig.json`)) {
  execSync('patch-package && npm run build', {cwd: root, stdio: 'inherit'})
}
