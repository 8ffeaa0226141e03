/**
 * Writes a file so readers (a browser polling the PNG, a dashboard) only ever see the old or the new version, never
 * a half-written one: write a temp file in the same folder (rename is atomic only within one file system), then rename.
 */
import {randomBytes} from 'node:crypto'
import {mkdir, rename, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, {recursive: true})
  // Dot-prefixed so a glob over the folder (charts/*.png) does not pick up a temp file mid-write.
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await writeFile(temp, data)
    await rename(temp, path)
  } catch (error) {
    await rm(temp, {force: true}).catch(() => undefined)
    throw error
  }
}
