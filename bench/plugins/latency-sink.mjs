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
    properties: {
      out: {type: 'string', description: 'JSON file for the samples (ms).'},
      stamp: {
        type: 'string',
        default: 'bench_stamp',
        description: 'Field holding the time to measure from: epoch ms, or ISO text (a trade time, ms resolution).',
      },
    },
  },
  create(config, context) {
    let pending = []
    let samples = new Float64Array(1 << 16)
    // The stamp of each sample, so a caller can drop a warm-up it could not flag in the records (exchange trades).
    let stamps = new Float64Array(1 << 16)
    let count = 0
    let warmup = 0
    return {
      async write(records) {
        for (const record of records) {
          const value = record[config.stamp]
          const stamp = typeof value === 'string' ? Date.parse(value) : value
          if (record.bench_warmup) warmup++
          else if (typeof stamp === 'number') pending.push(stamp)
        }
      },
      async flush() {
        if (pending.length === 0) return
        const now = performance.timeOrigin + performance.now()
        if (count + pending.length > samples.length) {
          const size = Math.max(samples.length * 2, count + pending.length)
          const grown = new Float64Array(size)
          grown.set(samples.subarray(0, count))
          samples = grown
          const grownStamps = new Float64Array(size)
          grownStamps.set(stamps.subarray(0, count))
          stamps = grownStamps
        }
        for (const stamp of pending) {
          stamps[count] = stamp
          samples[count++] = now - stamp
        }
        pending = []
      },
      async close() {
        const path = context.resolvePath(config.out)
        writeFileSync(
          path,
          JSON.stringify({
            warmup,
            samples: Array.from(samples.subarray(0, count), (ms) => Math.round(ms * 1000) / 1000),
            stamps: Array.from(stamps.subarray(0, count)),
          }),
        )
      },
    }
  },
}
