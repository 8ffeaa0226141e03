/**
 * A window engine as a transform, with its open windows kept across a graceful restart: close() writes the snapshot
 * taken at the last checkpoint (the last committed batch) to the plugin's state folder and create() reads it back. flush() emits nothing, because a window cut short by a
 * shutdown is not a result (a half-week candle would look like a real one downstream).
 */
import {randomUUID} from 'node:crypto'
import {mkdir, open, readFile, rename, rm} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import type {PluginContext, TransformInstance} from '../../../runtime/plugin-types.js'
import {WindowEngine, type WindowEngineOptions} from './window-engine.js'

export const SNAPSHOT_FILE = 'windows.json'

async function readSnapshot(path: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return JSON.parse(text)
}

/** Temp file + fsync + rename, so a crash mid-write leaves the previous snapshot, never half of a new one. */
async function writeSnapshot(path: string, snapshot: unknown): Promise<void> {
  await mkdir(dirname(path), {recursive: true})
  const temp = `${path}.${randomUUID()}.tmp`
  const handle = await open(temp, 'w')
  try {
    await handle.writeFile(JSON.stringify(snapshot))
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temp, path).catch(async (error) => {
    await rm(temp, {force: true})
    throw error
  })
}

export async function createWindowTransform(options: WindowEngineOptions, context: PluginContext): Promise<TransformInstance> {
  const engine = new WindowEngine(options, context)
  const path = join(context.stateDir, SNAPSHOT_FILE)
  try {
    const saved = await readSnapshot(path)
    if (saved !== undefined) {
      engine.restore(saved)
      context.logger.info(`restored ${engine.openWindows} open window(s) from ${path}`)
    }
  } catch (error) {
    // Losing partial windows is better than refusing to start; the warning says what was thrown away and why.
    context.logger.warn(`ignoring window snapshot ${path}: ${(error as Error).message}; starting with no open windows`)
    context.count('snapshot_discarded')
  }
  // What close() saves: the state as of the last checkpoint, i.e. of the committed offsets only. A batch that failed
  // after process() (a sink refused it) is consumed again after a restart, so it must not be in the saved windows.
  let committed: unknown = engine.snapshot()
  return {
    process: (records) => engine.process(records),
    checkpoint() {
      committed = engine.snapshot()
    },
    flush() {
      const open = engine.openWindows
      if (open > 0) context.logger.info(`${open} open window(s) not emitted at shutdown; kept in ${path} for the next run`)
      return []
    },
    async close() {
      await writeSnapshot(path, committed)
    },
  }
}
