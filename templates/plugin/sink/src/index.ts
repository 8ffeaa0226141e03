/**
 * {{packageName}}: an etl sink plugin. Appends each record to a file as one line of JSON; flush() writes what was
 * accepted since the last flush and syncs it to disk, so the pipeline commits its offsets only for records that are
 * on disk. At-least-once: after a crash, the last batch may be written again.
 */
import {mkdir, open} from 'node:fs/promises'
import {dirname} from 'node:path'
import {definePlugin} from 'etl/sdk'

export interface JsonLinesConfig {
  /** File to append to, relative to the working directory. */
  path: string
  /** Wait for the disk on flush (fdatasync). */
  fsync: boolean
}

export default definePlugin<'sink', JsonLinesConfig>({
  // The plugin API this was written for, as a literal: an etl that does not provide it refuses the plugin clearly.
  apiVersion: {{pluginApi}},
  name: '{{pluginName}}',
  kind: 'sink',
  summary: 'Appends records to a file as JSON lines',
  configSchema: {
    type: 'object',
    description: 'Appends one JSON object per record and line to `path`; folders are created.',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: {
        type: 'string',
        minLength: 1,
        description: 'File to append to, relative to the working directory.',
        examples: ['data/records.jsonl'],
      },
      fsync: {
        type: 'boolean',
        default: true,
        description: 'flush() waits until the lines are on disk (fdatasync), so they survive a power cut.',
        examples: [true],
      },
    },
    examples: [{path: 'data/records.jsonl'}],
  },

  async create(config, context) {
    const path = context.resolvePath(config.path)
    await mkdir(dirname(path), {recursive: true})
    const file = await open(path, 'a')
    /** Lines accepted by write() and not yet handed to the file. */
    let pending: string[] = []
    return {
      async write(records) {
        for (const record of records) pending.push(JSON.stringify(record) + '\n')
      },
      async flush() {
        if (pending.length > 0) {
          await file.appendFile(pending.join(''))
          context.count('written', pending.length)
          pending = []
        }
        if (config.fsync) await file.datasync()
      },
      async close() {
        await file.close()
      },
    }
  },
})
