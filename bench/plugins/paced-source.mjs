/**
 * Bench-only source: real price rows at a fixed rate, each stamped with the wall time it was due. The replay source
 * paces by the gaps between event times, which are uneven in real history, so it cannot hold a fixed rate.
 *
 * The stamp is the record's due time on the fixed schedule, not the moment the loop got round to it: a source that
 * falls behind (a slow emit, a late timer) shows as latency instead of silently lowering the rate (no coordinated
 * omission). Records of the first warmupSeconds carry bench_warmup: true so the latency sink leaves them out; they
 * cover the consumer joining its group.
 */
/* global AbortSignal */
import {readFileSync} from 'node:fs'
import {performance} from 'node:perf_hooks'
import {setTimeout as sleep} from 'node:timers/promises'

// A rate far above what the timer can space out one by one is sent in batches of what fell due; this caps a batch
// when the source has fallen behind, so one send never grows without bound.
const MAX_BATCH = 2000

function loadRows(path) {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n')
  const columns = header.split(',')
  const at = (name) => {
    const index = columns.indexOf(name)
    if (index < 0) throw new Error(`bench_paced: ${path} has no column ${name}`)
    return index
  }
  const [t, close, open, high, low, volume] = ['unix_timestamp', 'close', 'open', 'high', 'low', 'volume'].map(at)
  return lines.map((line) => {
    const cells = line.split(',')
    return {
      time: Number(cells[t]) * 1000,
      close: Number(cells[close]),
      open: Number(cells[open]),
      high: Number(cells[high]),
      low: Number(cells[low]),
      volume: Number(cells[volume]),
    }
  })
}

export default {
  name: 'bench_paced',
  kind: 'source',
  summary: 'Bench only: price rows at a fixed rate, stamped with their due wall time',
  messageKey: () => 'symbol',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'rate', 'seconds'],
    properties: {
      path: {
        type: 'string',
        description: 'CSV with unix_timestamp, open, high, low, close, volume (played in a loop).',
      },
      rate: {type: 'number', exclusiveMinimum: 0, description: 'Records per second.'},
      seconds: {type: 'number', exclusiveMinimum: 0, description: 'Measured seconds, after the warm-up.'},
      warmupSeconds: {type: 'number', minimum: 0, default: 5, description: 'Seconds of records marked bench_warmup.'},
      symbol: {type: 'string', default: 'BTC'},
    },
  },
  create(config, context) {
    const rows = loadRows(context.resolvePath(config.path))
    // Each pass over the file moves event time on by its span plus one step, as the replay source's loop does.
    const span = rows[rows.length - 1].time - rows[0].time + (rows[1].time - rows[0].time)
    const total = Math.round(config.rate * (config.warmupSeconds + config.seconds))
    const warmupRecords = Math.round(config.rate * config.warmupSeconds)
    const intervalMs = 1000 / config.rate
    const record = (i, stamp) => {
      const row = rows[i % rows.length]
      const time = row.time + Math.floor(i / rows.length) * span
      const out = {
        symbol: config.symbol,
        price_usd: row.close,
        timestamp: new Date(time).toISOString(),
        coin_id: 'bitcoin',
        vs_currency: 'usd',
        source: 'bench_paced',
        open: row.open,
        high: row.high,
        low: row.low,
        volume: row.volume,
        bench_stamp: stamp,
      }
      if (i < warmupRecords) out.bench_warmup = true
      return out
    }
    return {
      async run(emit, runSignal) {
        const signal = AbortSignal.any([runSignal, context.signal])
        const start = performance.now()
        const origin = performance.timeOrigin
        let sent = 0
        while (sent < total && !signal.aborted) {
          const due = Math.min(total, sent + MAX_BATCH, Math.floor((performance.now() - start) / intervalMs) + 1)
          if (due <= sent) {
            await sleep(start + sent * intervalMs - performance.now(), undefined, {signal}).catch(() => undefined)
            continue
          }
          const batch = []
          for (let i = sent; i < due; i++) batch.push(record(i, origin + start + i * intervalMs))
          await emit(batch)
          sent = due
        }
      },
    }
  },
}
