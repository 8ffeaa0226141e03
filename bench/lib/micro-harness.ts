/**
 * A tiny timing harness for the micro-benchmarks in bench/micro/: each case runs `ops` operations per round, after a
 * warm-up round so V8 has optimised it, and the median round is reported. Compare cases of one run only; the machine
 * is shared, so absolute figures move between runs. Run with: node --import tsx bench/micro/<file>.ts (one), or
 * npm run bench:micro (all).
 */
export interface MicroResult {
  name: string
  nsPerOp: number
  /** Spread of the rounds: (slowest − fastest) / median. */
  spread: number
}

/** Keeps results alive so V8 cannot drop the work being timed. */
export let sink: unknown

export function micro(name: string, ops: number, run: (ops: number) => unknown, rounds = 9): MicroResult {
  sink = run(ops)
  const times: number[] = []
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint()
    sink = run(ops)
    times.push(Number(process.hrtime.bigint() - start) / ops)
  }
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]
  const result = {name, nsPerOp: median, spread: (times[times.length - 1] - times[0]) / median}
  process.stdout.write(
    `${name.padEnd(58)} ${median.toFixed(1).padStart(9)} ns/op  (spread ${(result.spread * 100).toFixed(0)} %)\n`,
  )
  return result
}

export function ratio(label: string, slower: MicroResult, faster: MicroResult): void {
  process.stdout.write(`${label}: ×${(slower.nsPerOp / faster.nsPerOp).toFixed(2)}\n`)
}
