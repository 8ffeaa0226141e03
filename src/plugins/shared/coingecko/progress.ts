/**
 * The newest event time the coingecko source has emitted per coin/currency, kept in the plugin's state folder. It
 * lets a restart skip history it already backfilled and prices it already emitted, instead of repeating them.
 */
import {randomUUID} from 'node:crypto'
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {dirname} from 'node:path'

export class ProgressFile {
  private readonly latest = new Map<string, number>()

  /** The path is resolved on first use: the state folder is created only by a source that actually runs. */
  constructor(private readonly locate: () => string) {}

  get path(): string {
    return this.locate()
  }

  /** Loads the file; a missing or damaged one means no progress (history is fetched again, never lost). */
  async load(): Promise<string | undefined> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      return `cannot read ${this.path}: ${(error as Error).message}`
    }
    try {
      const data = JSON.parse(text) as Record<string, unknown>
      for (const [key, value] of Object.entries(data)) if (typeof value === 'number' && Number.isFinite(value)) this.latest.set(key, value)
      return undefined
    } catch (error) {
      return `ignoring damaged ${this.path}: ${(error as Error).message}`
    }
  }

  get(key: string): number | undefined {
    return this.latest.get(key)
  }

  /** Records that everything up to `ms` was emitted for key (never moves backwards). */
  advance(key: string, ms: number): void {
    if (ms > (this.latest.get(key) ?? -Infinity)) this.latest.set(key, ms)
  }

  /** Temp file + rename: a crash mid-write keeps the previous progress, never half a file. */
  async save(): Promise<void> {
    await mkdir(dirname(this.path), {recursive: true})
    const temp = `${this.path}.${randomUUID()}.tmp`
    await writeFile(temp, JSON.stringify(Object.fromEntries(this.latest)))
    await rename(temp, this.path)
  }
}
