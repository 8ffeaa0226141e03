/**
 * Headless Chromium for the browser tests: the system's Chromium (installed on demand by scripts/ensure-chromium.sh)
 * driven by playwright-core, which downloads no browsers of its own, so tests run offline once Chromium is there.
 */
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {chromium, type Browser} from 'playwright-core'

const ENSURE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-chromium.sh', import.meta.url))

/** How long a fresh machine may take to apt-get install Chromium. */
export const CHROMIUM_INSTALL_TIMEOUT_MS = 10 * 60_000

export const CHROMIUM_ARGS = [
  '--headless=new',
  // Containers and CI run as root without user namespaces, where Chromium's sandbox cannot start.
  '--no-sandbox',
  '--disable-gpu',
  // /dev/shm is 64 MB in Docker; Chromium crashes on big pages when it keeps shared memory there.
  '--disable-dev-shm-usage',
  '--disable-background-networking',
]

let cachedPath: Promise<string> | undefined

/** Path of a usable Chromium; installs it first when missing (its progress messages go to this process's stderr). */
export function ensureChromium(): Promise<string> {
  cachedPath ??= new Promise<string>((resolve, reject) => {
    const child = spawn(ENSURE_SCRIPT, [], {stdio: ['ignore', 'pipe', 'inherit'], timeout: CHROMIUM_INSTALL_TIMEOUT_MS})
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const path = stdout.trim().split('\n').pop() ?? ''
      if (code === 0 && path) resolve(path)
      else reject(new Error(`scripts/ensure-chromium.sh failed (${signal ?? `exit ${code}`}); see its messages above`))
    })
  })
  return cachedPath
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureChromium()
  return chromium.launch({executablePath, args: CHROMIUM_ARGS, timeout: 60_000})
}
