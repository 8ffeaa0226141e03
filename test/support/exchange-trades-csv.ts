/**
 * What the exchange sources' end-to-end tests check in the CSV their pipeline writes (test/e2e/binance-trades and
 * coinbase-trades): the trade ids per pair or product, and that every trade the look-alike made is there exactly once,
 * in id order.
 */
import {expect} from 'chai'
import {existsSync, readFileSync} from 'node:fs'
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
