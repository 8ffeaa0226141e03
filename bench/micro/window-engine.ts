/**
 * The window engine alone, on the throughput bench's shape: replayed 5-minute BTC records (timestamps as ISO text,
 * as they arrive from JSON) into 1-minute OHLC candles, 500 records per batch. With a second path argument it also
 * times another checkout's engine (e.g. a copy of HEAD) in the same process, for a before/after ratio:
 *   node --import tsx bench/micro/window-engine.ts [/path/to/other/checkout]
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {EtlRecord} from '../../src/runtime/plugin-types.js'
import type {WindowEngineOptions} from '../../src/plugins/shared/windowing/window-engine.js'
import {micro, ratio, type MicroResult} from '../lib/micro-harness.js'

const ROOT = join(import.meta.dirname, '../..')
const BATCH = 500
const rows = readFileSync(join(ROOT, 'data/btcusd-5m-2011.csv'), 'utf8').trim().split('\n').slice(1)
const header = readFileSync(join(ROOT, 'data/btcusd-5m-2011.csv'), 'utf8').split('\n')[0].split(',')
const at = (name: string) => header.indexOf(name)
const base = rows.map((line) => line.split(','))
const span = (Number(base[base.length - 1][at('unix_timestamp')]) - Number(base[0][at('unix_timestamp')]) + 300) * 1000

/** JSON text per record, like the topic holds; parsed per round so the engine sees fresh objects as in the stage. */
function records(count: number): string[] {
  return Array.from({length: count}, (_, i) => {
    const row = base[i % base.length]
    const ms = Number(row[at('unix_timestamp')]) * 1000 + Math.floor(i / base.length) * span
    const price = Number(row[at('close')])
    return JSON.stringify({
      symbol: 'BTC',
      price_usd: price,
      timestamp: new Date(ms).toISOString(),
      coin_id: 'bitcoin',
      vs_currency: 'usd',
      source: 'replay',
      volume: Number(row[at('volume')]),
    })
  })
}

const OPTIONS: WindowEngineOptions = {
  time: 'timestamp',
  key: ['symbol'],
  spec: {size: 60_000, slide: 60_000, lateness: 0},
  aggregates: [
    {name: 'open', op: 'first', field: 'price_usd'},
    {name: 'high', op: 'max', field: 'price_usd'},
    {name: 'low', op: 'min', field: 'price_usd'},
    {name: 'close', op: 'last', field: 'price_usd'},
    {name: 'volume', op: 'sum', field: 'volume'},
    {name: 'count', op: 'count'},
  ],
  emit: 'final',
  late: 'dead-letter',
}

const COUNT = 200_000
const texts = records(COUNT)
const batches: EtlRecord[][] = []
for (let i = 0; i < COUNT; i += BATCH)
  batches.push(texts.slice(i, i + BATCH).map((text) => JSON.parse(text) as EtlRecord))

async function time(label: string, root: string): Promise<MicroResult> {
  const {WindowEngine} = (await import(
    join(root, 'src/plugins/shared/windowing/window-engine.ts')
  )) as typeof import('../../src/plugins/shared/windowing/window-engine.js')
  const hooks = {reject: () => undefined, count: () => undefined}
  return micro(label, COUNT, () => {
    const engine = new WindowEngine(OPTIONS, hooks)
    let candles = 0
    for (const batch of batches) candles += engine.process(batch).length
    if (candles !== COUNT - 1) throw new Error(`${label}: ${candles} candles for ${COUNT} records`)
    return candles
  })
}

const other = process.argv[2]
const before = other ? await time(`engine from ${other}`, other) : undefined
const after = await time('engine from this checkout', ROOT)
if (before) ratio('this checkout is faster by', before, after)
