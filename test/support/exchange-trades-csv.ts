/**
 * What the exchange sources' end-to-end tests check in the CSV their pipeline writes (test/e2e/binance-trades and
 * coinbase-trades): the trade ids per pair or product, and that every trade the look-alike made is there exactly once,
 * in id order; and their kill -9 rounds against a live feed.
 */
import {expect} from 'chai'
import {existsSync, readFileSync} from 'node:fs'
import {sleep, waitFor, type KillHarness} from './kill-restart.js'
import type {RunningEtl} from './run-cli.js'

/**
 * The trade ids per key (the first column), in file order; the second column is the trade id. `check` sees each row's
 * cells, for what a test wants of every row.
 */
export function tradeIdsByKey(
  out: string,
  columns: readonly string[],
  keys: readonly string[],
  check?: (cells: string[]) => void,
): Map<string, number[]> {
  const ids = new Map<string, number[]>(keys.map((key) => [key, []]))
  if (!existsSync(out)) return ids
  const [header, ...rows] = readFileSync(out, 'utf8').split('\n')
  expect(header).to.equal(columns.join(','))
  for (const row of rows.filter(Boolean)) {
    const cells = row.split(',')
    check?.(cells)
    ids.get(cells[0])?.push(Number(cells[1]))
  }
  return ids
}

/** The number of trades in `ids`. */
export function tradeCount(ids: Map<string, number[]>): number {
  return [...ids.values()].reduce((sum, list) => sum + list.length, 0)
}

/** Every id `made` holds per key is in `got` exactly once, in the same order: 0 lost, 0 duplicated. */
export function expectEveryTradeOnce(made: Map<string, number[]>, got: Map<string, number[]>, context: string): void {
  for (const [key, madeIds] of made) {
    const gotIds = got.get(key) ?? []
    const lost = madeIds.filter((id) => !gotIds.includes(id)).length
    const duplicated = gotIds.length - new Set(gotIds).size
    expect({key, lost, duplicated, rows: gotIds.length}, context).to.deep.equal({
      key,
      lost: 0,
      duplicated: 0,
      rows: madeIds.length,
    })
    expect(gotIds, `order of ${key}`).to.deep.equal(madeIds)
  }
}

/** SIGINT, and the run must end cleanly (exit 0); its log for the test to read. */
export async function stopCleanly(etl: RunningEtl): Promise<string> {
  etl.child.kill('SIGINT')
  const exit = await etl.exited
  expect(exit, etl.output.stderr).to.deep.equal({code: 0, signal: null})
  return etl.output.stderr
}

export interface LiveKillRounds {
  /** The source's log line once its feed is connected (a global regex is reset here). */
  connected: RegExp
  /** Makes one small batch of trades on the look-alike; called in a loop from the first connection to the end. */
  feedOnce: () => Promise<void>
  /** Seeded: the kill delays. */
  random: () => number
  /** Trades in the CSV now, and trades the look-alike made. */
  rows: () => number
  made: () => number
}

/**
 * kill -9 rounds against a live feed: three times etl starts, connects, owns partitions and is SIGKILLed 0.2–2.7 s
 * later, while trades keep coming (what is made while it is down must come from REST). A last run connects, the feed
 * stops 2 s later, and once the CSV holds every trade made it stops cleanly: its log is returned.
 */
export async function killRoundsWhileFeeding(harness: KillHarness, args: string[], o: LiveKillRounds): Promise<string> {
  let serving = true
  let feeder: Promise<void> | undefined
  const feed = async () => {
    while (serving) await o.feedOnce()
  }
  const connected = (etl: RunningEtl) => {
    o.connected.lastIndex = 0
    return o.connected.test(etl.output.stderr)
  }
  for (let round = 1; round <= 3; round++) {
    const etl = harness.start(args)
    await waitFor(`round ${round} to connect`, 60_000, () => connected(etl), [etl])
    feeder ??= feed()
    // Once the process stage owns partitions too (after the killed member's session expired), so both are at work.
    await waitFor(`round ${round} to be assigned`, 60_000, () => ASSIGNED.test(etl.output.stderr), [etl])
    const delay = 200 + Math.floor(o.random() * 2500)
    await sleep(delay)
    etl.child.kill('SIGKILL')
    expect((await etl.exited).signal).to.equal('SIGKILL')
    console.log(`      round ${round}: killed ${delay} ms after assignment; ${o.rows()} rows so far`)
  }
  const last = harness.start(args)
  await waitFor('the last run to connect', 60_000, () => connected(last), [last])
  await sleep(2000)
  serving = false
  await feeder
  await waitFor('every trade in the CSV', 60_000, () => o.rows() >= o.made(), [last])
  await sleep(1000)
  return stopCleanly(last)
}

const ASSIGNED = /assigned partition\(s\) \d/
