/**
 * Prints records as JSON lines on stdout (logs go to stderr, so `etl run … | jq` sees only data). Honours pipe
 * backpressure: a slow reader slows the pipeline instead of growing an unbounded buffer in memory.
 */
import {once} from 'node:events'
import {definePlugin, type EtlRecord} from '../../sdk/index.js'

export interface StdoutSinkConfig {
  pretty: boolean
  fields?: string[]
}

export default definePlugin<'sink', StdoutSinkConfig>({
  name: 'stdout',
  kind: 'sink',
  summary: 'Prints records as JSON lines on standard output',
  configSchema: {
    type: 'object',
    description: 'Writes one JSON object per record to stdout; pipe it into jq, a file or another program.',
    additionalProperties: false,
    properties: {
      pretty: {
        type: 'boolean',
        description: 'Indent each record over several lines (easier to read, no longer one record per line).',
        default: false,
        examples: [false, true],
      },
      fields: {
        type: 'array',
        items: {type: 'string', minLength: 1},
        minItems: 1,
        uniqueItems: true,
        description:
          'Print only these fields, in this order (fields a record lacks are left out). Default: all fields.',
        examples: [['timestamp', 'symbol', 'price_usd']],
      },
    },
    examples: [{fields: ['timestamp', 'price_usd']}, {pretty: true}],
  },

  create(config, context) {
    const fields = config.fields
    const indent = config.pretty ? 2 : undefined
    const pick = (record: EtlRecord): EtlRecord => {
      if (!fields) return record
      const picked: EtlRecord = {}
      for (const field of fields) if (Object.hasOwn(record, field)) picked[field] = record[field]
      return picked
    }
    let failure: Error | undefined
    /** Settles when the last chunk handed to stdout has been written out (or failed). */
    let lastWrite: Promise<void> = Promise.resolve()

    const onError = (error: Error) => {
      // EPIPE when the reader went away (`etl run … | head`): stop with a clear error instead of crashing on it.
      failure ??= error
      context.logger.debug('stdout failed', {error: error.message})
    }
    process.stdout.on('error', onError)

    const check = () => {
      if (failure) throw new Error(`cannot write to stdout: ${failure.message}`)
    }

    return {
      async write(records) {
        check()
        if (records.length === 0) return
        let text = ''
        for (const record of records) text += JSON.stringify(pick(record), null, indent) + '\n'
        const stdout = process.stdout
        let ok = true
        lastWrite = new Promise<void>((resolve) => {
          ok = stdout.write(text, (error) => {
            if (error) onError(error)
            resolve()
          })
        })
        if (!ok) {
          // Wait for the reader to catch up; the write settling also ends the wait (a broken pipe never drains).
          const stopWaiting = new AbortController()
          const drained = once(stdout, 'drain', {signal: stopWaiting.signal}).catch(() => undefined)
          await Promise.race([drained, lastWrite])
          stopWaiting.abort()
        }
        check()
      },

      async flush() {
        await lastWrite
        check()
      },

      async close() {
        await lastWrite
        process.stdout.off('error', onError)
      },
    }
  },
})
