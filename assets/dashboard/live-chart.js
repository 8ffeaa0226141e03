// One chart of the dashboard: a Vega view of the chart's spec and a bounded window of rows per key, changed only by
// Vega changesets (new rows inserted, replaced and evicted rows removed): no re-render from scratch, no reload.
import {browserSpec, MARGIN, readFields, XDOMAIN} from './browser-spec.js'
import {bucketFor, lowerBound, pickRows} from './drawn-rows.js'
import {el} from './format.js'

/** Most rows kept per key (the view draws a pixel's worth of them, see drawn-rows.js); the oldest go first. */
export const ROWS_PER_KEY = 10000
const HEIGHT = 300
/**
 * Redraws at most about once per FLUSH_MS: a row after a quiet spell is drawn at once, a steady stream once a second
 * (each redraw re-encodes and repaints every drawn item, through the expression interpreter the CSP calls for:
 * the page's main cost).
 */
const FLUSH_MS = 1000
/** Pixels per time bucket of drawn rows (up to four rows each: first, lowest, highest, last). */
const BUCKET_PX = 4

export class LiveChart {
  constructor(info, container, dark) {
    this.info = info
    this.name = info.chart
    this.fields = info.fields
    const read = readFields(info.spec)
    this.details = info.fields.details.filter((field) => read.has(field))
    this.windows = new Map()
    this.domain = null
    this.queue = Promise.resolve()
    // Rows reach the view by changesets only once it exists; a new view (embed) starts from the windows as they are.
    this.generation = 0
    this.ready = false
    this.drawn = new Set()
    this.visible = true
    this.flushTimer = undefined
    this.lastFlush = -Infinity
    this.element = this.createCard(container)
    this.queue = this.embed(dark)
  }

  createCard(container) {
    const card = el('article', 'chart-card')
    card.dataset.testid = 'chart-card'
    card.dataset.chart = this.name
    const head = el('div', 'chart-head')
    head.append(el('h2', '', this.info.title ?? this.name))
    this.meta = el('span', 'meta')
    this.meta.dataset.testid = 'chart-meta'
    head.append(this.meta)
    this.plot = el('div', 'plot')
    this.plot.dataset.testid = 'chart-plot'
    this.crosshair = el('div', 'crosshair')
    this.crosshair.hidden = true
    const frame = el('div', 'plot-frame')
    frame.append(this.plot, this.crosshair)
    card.append(head, frame)
    container.append(card)
    return card
  }

  async embed(dark) {
    const spec = browserSpec(this.info.spec, this.fields.time, dark, HEIGHT)
    const options = {
      mode: 'vega-lite',
      actions: false,
      ast: true,
      defaultStyle: false,
      tooltip: false,
      renderer: 'canvas',
      logLevel: window.vega.Error,
    }
    const result = await window.vegaEmbed(this.plot, spec, options)
    this.view = result.view
    this.generation++
    this.ready = true
    this.drawn = new Set()
    await this.sync()
  }

  /** Re-creates the view (the colour scheme changed) with the rows it holds. */
  rebuild(dark) {
    this.ready = false
    this.queue = this.queue.then(() => {
      this.view?.finalize()
      return this.embed(dark)
    })
    return this.queue
  }

  allRows() {
    const rows = []
    for (const list of this.windows.values()) for (const row of list) rows.push(row)
    return rows
  }

  /** Applies a batch of rows from the stream; `reset` replaces everything held. Returns the keys that changed. */
  apply(rows, reset) {
    if (reset) this.windows.clear()
    for (const row of rows) this.insert(row)
    if (this.info.windowMs !== undefined) this.evictOlder(this.latestTime() - this.info.windowMs)
    const keys = new Set(rows.map((row) => String(row[this.fields.key])))
    if (this.ready) this.scheduleFlush()
    return keys
  }

  /**
   * Pending changes reach the view at most every FLUSH_MS, and only while the chart is on screen: one redraw per
   * flush whatever the number of rows, and none for charts scrolled out of sight (they catch up when shown).
   */
  scheduleFlush() {
    if (this.flushTimer || !this.visible) return
    // After a quiet spell at once; else on the page-wide FLUSH_MS tick, so the charts redraw in one task together.
    const now = window.performance.now()
    const wait = now - this.lastFlush >= FLUSH_MS ? 0 : FLUSH_MS - (now % FLUSH_MS)
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined
      this.flush()
    }, wait)
  }

  /** Brings the view up to date: the x domain, and the rows to draw for it (only the difference is sent). */
  flush() {
    if (!this.ready) return this.queue
    const generation = this.generation
    this.lastFlush = window.performance.now()
    this.queue = this.queue.then(() => (generation === this.generation ? this.sync() : undefined))
    return this.queue
  }

  /** Sends the view the difference between what it draws and what it should draw now, and the x domain. */
  sync() {
    const domain = this.following ? this.followDomain() : this.domain
    const next = this.rowsToDraw(domain)
    const removed = []
    for (const row of this.drawn) if (!next.has(row)) removed.push(row)
    const inserted = []
    for (const row of next) if (!this.drawn.has(row)) inserted.push(row)
    this.drawn = next
    if (removed.length > 0 || inserted.length > 0) {
      this.view.change(this.info.data, window.vega.changeset().remove(removed).insert(inserted))
    }
    this.view.signal(XDOMAIN, domain)
    this.meta.textContent = this.count().toLocaleString() + ' points'
    return this.view.runAsync()
  }

  /** The rows that represent every key near `domain` (null: everything held) at about one bucket per pixel. */
  rowsToDraw(domain) {
    const out = new Set()
    let from = domain ? domain[0] : Infinity
    let to = domain ? domain[1] : -Infinity
    if (!domain) {
      for (const list of this.windows.values()) {
        if (list.length === 0) continue
        from = Math.min(from, list[0][this.fields.time])
        to = Math.max(to, list[list.length - 1][this.fields.time])
      }
    }
    if (!(to >= from)) return out
    const span = Math.max(1, to - from)
    const [left, right] = this.view.scale('x').range()
    const bucket = bucketFor(span, (right - left) / BUCKET_PX)
    const margin = domain ? span * MARGIN : 0
    for (const list of this.windows.values()) pickRows(list, this.fields, from - margin, to + margin, bucket, out)
    return out
  }

  /** Whether the chart is on screen (an IntersectionObserver says); a chart coming into view catches up at once. */
  setVisible(visible) {
    this.visible = visible
    if (visible) this.scheduleFlush()
  }

  insert(row) {
    const key = String(row[this.fields.key])
    let list = this.windows.get(key)
    if (!list) this.windows.set(key, (list = []))
    const last = list[list.length - 1]
    if (last && last[this.fields.time] === row[this.fields.time]) {
      // The same time again: the row changed (a candle still forming); the new one replaces it.
      list[list.length - 1] = row
    } else list.push(row)
    if (list.length > ROWS_PER_KEY) list.splice(0, list.length - ROWS_PER_KEY)
  }

  /** Drops rows older than `oldest` (the chart's time window), as the rendered chart does. */
  evictOlder(oldest) {
    const time = this.fields.time
    for (const [key, list] of this.windows) {
      let drop = 0
      while (drop < list.length && list[drop][time] < oldest) drop++
      if (drop === 0) continue
      list.splice(0, drop)
      if (list.length === 0) this.windows.delete(key)
    }
  }

  /** The rows of `key` inside the x domain drawn now (all of them before the view exists). */
  rowsInView(key) {
    const list = this.windows.get(key) ?? []
    const [from, to] = this.visibleDomain()
    const time = this.fields.time
    const first = lowerBound(list, time, from)
    let end = lowerBound(list, time, to)
    while (end < list.length && list[end][time] <= to) end++
    return list.slice(first, end)
  }

  count() {
    let total = 0
    for (const list of this.windows.values()) total += list.length
    return total
  }

  latestTime() {
    let latest = -Infinity
    for (const list of this.windows.values())
      if (list.length > 0) latest = Math.max(latest, list[list.length - 1][this.fields.time])
    return latest
  }

  /** Shows [from, to] (epoch ms); null = all the data. `follow` keeps the window's width but moves with new rows. */
  setDomain(domain, follow) {
    this.domain = domain
    this.following = follow ? domain && domain[1] - domain[0] : 0
    return this.flush()
  }

  followDomain() {
    const latest = this.latestTime()
    return Number.isFinite(latest) ? [latest - this.following, latest] : null
  }

  /** The x domain drawn now, as epoch ms. */
  visibleDomain() {
    return this.view.scale('x').domain().map(Number)
  }
}
