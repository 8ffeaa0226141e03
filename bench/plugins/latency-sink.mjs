/**
 * Bench-only sink: for every record, (wall time once this sink's flush resolved) − (the source's bench_stamp), in ms.
 * The process stage flushes the sinks in order, so when this one is listed last the figure covers the sinks before
 * it having written and flushed the record. Samples stay in memory (8 bytes each, fine for a latency run of seconds)
 * and are written to `out` as JSON at close.
 */
import {writeFileSync} from 'node:fs'
import {performance} from 'node:perf_hooks'

export default {
  name: 'bench_latency',
  kind: 'sink',
  summary: 'Bench only: records now − bench_stamp after flush, written to a JSON file at close',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['out'],
    properties: {out: {type: 'string', description: 'JSON file for the samples (ms).'}},
  },
  create(config, context) {
    let pending = []
    let samples = new Float64Array(1 << 16)
    let count = 0
    let warmup = 0
    return {
      async write(records) {
        for (const record of records) {
          if (record.bench_warmup) warmup++
          else if (typeof record.bench_stamp === 'number') pending.push(record.bench_stamp)
        }
      },
      async flush() {
        if (pending.length === 0) return
        const now = performance.timeOrigin + performance.now()
        if (count + pending.length > samples.length) {
          const grown = new Float64Array(Math.max(samples.length * 2, count + pending.length))
          grown.set(samples.subarray(0, count))
          samples = grown
        }
        for (const stamp of pending) samples[count++] = now - stamp
        pending = []
      },
      async close() {
        const path = context.resolvePath(config.out)
        writeFileSync(
          path,
          JSON.stringify({
            warmup,
            samples: Array.from(samples.subarray(0, count), (ms) => Math.round(ms * 1000) / 1000),
          }),
        )
      },
    }
  },
}
