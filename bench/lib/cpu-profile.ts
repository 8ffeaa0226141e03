/**
 * Reads a V8 .cpuprofile (node --cpu-prof) into self time per function and per module, so the hot path of the process
 * stage can be read in the bench's report without opening DevTools.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {ROOT} from './etl-process.js'

interface ProfileNode {
  id: number
  callFrame: {functionName: string; url: string; lineNumber: number}
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

export interface HotSpot {
  name: string
  where: string
  selfMs: number
  /** Share of the profile's busy time (idle excluded). */
  selfPct: number
}

export interface ProfileSummary {
  file: string
  /** What was profiled, for the report. */
  note?: string
  busyMs: number
  idleMs: number
  functions: HotSpot[]
  modules: HotSpot[]
}

function whereOf(url: string): string {
  if (!url) return '(native)'
  if (url.startsWith('node:')) return url
  const path = url.startsWith('file://') ? new URL(url).pathname : url
  const rel = relative(ROOT, path)
  return rel.startsWith('..') ? path : rel
}

/** The package (node_modules/<name>) or project folder a file belongs to, for the per-module view. */
function moduleOf(where: string): string {
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)
  if (inPackage) return inPackage[1]
  if (where.startsWith('node:')) return 'node: internals'
  if (where.startsWith('dist/')) return where.replace(/\.js$/, '')
  return where
}

function top(map: Map<string, {name: string; where: string; us: number}>, busyUs: number, count: number): HotSpot[] {
  return [...map.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((entry) => ({
      name: entry.name,
      where: entry.where,
      selfMs: entry.us / 1000,
      selfPct: (100 * entry.us) / busyUs,
    }))
}

/**
 * Self time per function within [fromMs, toMs) of the profile (ms since it started, which is about when the process
 * started): the bench passes the span between the "pipeline …" line and the last commit, so module loading at start-up
 * and the shutdown after the last commit do not dilute the hot path.
 */
export function summarizeProfile(file: string, window: {fromMs: number; toMs: number}, count = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const selfUs = new Map<number, number>()
  // A sample's time is the gap to the next sample (what DevTools shows as self time).
  let atUs = 0
  for (let i = 0; i < profile.samples.length - 1; i++) {
    atUs += profile.timeDeltas[i]
    if (atUs < window.fromMs * 1000 || atUs >= window.toMs * 1000) continue
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + profile.timeDeltas[i + 1])
  }
  const functions = new Map<string, {name: string; where: string; us: number}>()
  const modules = new Map<string, {name: string; where: string; us: number}>()
  let idleUs = 0
  let busyUs = 0
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame
    if (frame.functionName === '(idle)') {
      idleUs += us
      continue
    }
    busyUs += us
    const where = `${whereOf(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`
    const name = frame.functionName || '(anonymous)'
    const key = `${name} ${where}`
    const fn = functions.get(key) ?? {name, where, us: 0}
    fn.us += us
    functions.set(key, fn)
    const module = frame.url ? moduleOf(whereOf(frame.url)) : name
    const mod = modules.get(module) ?? {name: module, where: '', us: 0}
    mod.us += us
    modules.set(module, mod)
  }
  return {
    file,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    functions: top(functions, busyUs, count),
    modules: top(modules, busyUs, 10),
  }
}

export function newestProfile(dir: string): string {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort()
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`)
  return join(dir, files[files.length - 1])
}
