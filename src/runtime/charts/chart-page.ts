/**
 * The live chart page, one self-contained HTML document (no CDN: etl runs on machines without internet). It listens to
 * /events and updates each chart card in place. Everything that comes from data is set through textContent or
 * properties, never innerHTML; the SVG goes into an <img> through a blob: URL, which renders it without ever running
 * script and keeps each chart's ids (clip paths, gradients) from clashing with the other charts'.
 */
import {documentStart, escapeHtml} from './html-head.js'

export interface ChartPageOptions {
  title: string
  /** CSP nonce that lets the page's own inline script and style run. */
  nonce: string
}

export function chartPageHtml({title, nonce}: ChartPageOptions): string {
  const safeTitle = escapeHtml(title)
  const safeNonce = escapeHtml(nonce)
  return `${documentStart(`${title} · etl live charts`, nonce, {css: PAGE_CSS})}
<header class="top">
  <div>
    <div class="kicker">etl · live charts</div>
    <h1 data-testid="page-title">${safeTitle}</h1>
  </div>
  <div class="status">
    <span class="last" data-testid="last-event"></span>
    <span class="conn" data-testid="connection" data-state="connecting"><i></i><b>connecting…</b></span>
  </div>
</header>
<main id="charts" data-testid="charts">
  <p class="empty" data-testid="empty">Waiting for the first chart to be rendered…</p>
</main>
<script nonce="${safeNonce}">${PAGE_JS}</script>
</body>
</html>
`
}

const PAGE_CSS = `
:root { color-scheme: light dark; --bg: #f4f5f7; --card: #fff; --fg: #1d2430; --muted: #677285; --line: #e3e6eb;
  --up: #12833f; --down: #c8322b; --live: #1f9d55; --warn: #d08a00; --off: #9aa3af; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f1319; --card: #171c24; --fg: #e6e9ee; --muted: #8d97a6; --line: #262d38;
    --up: #3ccf7a; --down: #ff6b61; --live: #3ccf7a; --warn: #f0b429; --off: #6b7482; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
.top { display: flex; justify-content: space-between; align-items: flex-end; gap: 16px; flex-wrap: wrap;
  padding: 20px 28px 16px; border-bottom: 1px solid var(--line); background: var(--card); }
.kicker { color: var(--muted); font-size: 12px; letter-spacing: .06em; text-transform: uppercase; }
h1 { margin: 2px 0 0; font-size: 22px; font-weight: 650; }
.status { display: flex; align-items: center; gap: 14px; color: var(--muted); font-size: 13px; }
.conn { display: inline-flex; align-items: center; gap: 7px; padding: 4px 10px; border-radius: 999px;
  border: 1px solid var(--line); }
.conn i { width: 9px; height: 9px; border-radius: 50%; background: var(--off); }
.conn[data-state="live"] i { background: var(--live);
  box-shadow: 0 0 0 3px color-mix(in srgb, var(--live) 25%, transparent); }
.conn[data-state="reconnecting"] i, .conn[data-state="connecting"] i { background: var(--warn); }
.conn b { font-weight: 600; color: var(--fg); }
main { display: grid; gap: 20px; padding: 24px 28px 40px;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 620px), 1fr)); }
.empty { color: var(--muted); margin: 40px auto; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px 12px;
  box-shadow: 0 1px 2px rgb(0 0 0 / .06); min-width: 0; }
.card-head { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; flex-wrap: wrap; }
.card h2 { margin: 0; font-size: 16px; font-weight: 650; }
.card h2 small { color: var(--muted); font-weight: 500; margin-left: 6px; font-size: 12px; }
.meta { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
.figure { display: block; margin: 12px 0 10px; border-radius: 8px; background: #fff; overflow: hidden;
  border: 1px solid var(--line); }
.figure img { display: block; width: 100%; height: auto; }
.card.flash .figure { animation: flash .9s ease-out; }
@keyframes flash { from { border-color: var(--live); } to { border-color: var(--line); } }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 8px; text-align: right; border-top: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 500; font-size: 12px; border-top: 0; }
th:first-child, td:first-child { text-align: left; font-weight: 600; }
td.at { color: var(--muted); font-size: 12px; }
.up { color: var(--up); } .down { color: var(--down); }
@media (max-width: 560px) {
  .top, main { padding-left: 12px; padding-right: 12px; }
  .card { padding: 12px; }
  th, td { padding: 6px 5px; }
  table { font-size: 13px; }
  th:last-child, td.at { display: none; }
}
`

// Plain ES2020 in a string: no backticks or template placeholders below, the whole thing is a template literal.
const PAGE_JS = `
'use strict'
const cards = new Map()
const main = document.getElementById('charts')
const conn = document.querySelector('[data-testid="connection"]')
const lastEvent = document.querySelector('[data-testid="last-event"]')
const timeFormat = new Intl.DateTimeFormat(undefined, {hour: '2-digit', minute: '2-digit', second: '2-digit'})
const atFormat = new Intl.DateTimeFormat(undefined, {dateStyle: 'medium', timeStyle: 'short'})
const intFormat = new Intl.NumberFormat()
const pctFormat = new Intl.NumberFormat(undefined,
  {style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero'})
const numberFormats = new Map()

// Prices span 100,000 (BTC) to 0.00001 (small coins): two decimals from 1 up, else enough for 4 significant digits.
function decimalsFor(value) {
  const abs = Math.abs(value)
  if (!(abs > 0) || abs >= 1) return 2
  return Math.min(10, 3 - Math.floor(Math.log10(abs)))
}
function formatNumber(value, decimals, signed) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–'
  const key = decimals + (signed ? '+' : '')
  let format = numberFormats.get(key)
  if (!format) {
    format = new Intl.NumberFormat(undefined, {minimumFractionDigits: decimals, maximumFractionDigits: decimals,
      signDisplay: signed ? 'exceptZero' : 'auto'})
    numberFormats.set(key, format)
  }
  return format.format(value)
}
function formatTime(iso, format) {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? String(iso || '') : format.format(date)
}
function el(tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

function setConnection(state, label) {
  conn.dataset.state = state
  conn.querySelector('b').textContent = label
}

function createCard(name) {
  const card = el('article', 'card')
  card.dataset.testid = 'chart-card'
  card.dataset.chart = name
  const head = el('div', 'card-head')
  const title = el('h2')
  title.dataset.testid = 'chart-title'
  const meta = el('span', 'meta')
  meta.dataset.testid = 'chart-meta'
  head.append(title, meta)
  const figure = el('a', 'figure')
  figure.href = 'charts/' + encodeURIComponent(name) + '.svg'
  figure.target = '_blank'
  figure.rel = 'noopener'
  figure.title = 'Open the SVG'
  const img = el('img')
  img.dataset.testid = 'chart-image'
  img.alt = 'chart ' + name
  figure.append(img)
  const table = el('table')
  table.dataset.testid = 'chart-summary'
  const headRow = el('tr')
  for (const label of ['Series', 'Latest', 'Change', 'Change %', 'As of']) headRow.append(el('th', '', label))
  table.append(el('thead'), el('tbody'))
  table.tHead.append(headRow)
  const tableWrap = el('div', 'table-wrap')
  tableWrap.append(table)
  card.append(head, figure, tableWrap)
  const empty = document.querySelector('[data-testid="empty"]')
  if (empty) empty.remove()
  main.append(card)
  const entry = {card, title, meta, img, body: table.tBodies[0], url: undefined, renderedAt: undefined}
  cards.set(name, entry)
  return entry
}

function showSvg(entry, svg) {
  const previous = entry.url
  entry.url = URL.createObjectURL(new Blob([svg], {type: 'image/svg+xml'}))
  // The old picture stays on screen until the new one has decoded, so updates never flicker.
  if (previous) {
    const release = () => URL.revokeObjectURL(previous)
    entry.img.addEventListener('load', release, {once: true})
    entry.img.addEventListener('error', release, {once: true})
  }
  entry.img.src = entry.url
}

function showSummary(entry, summary) {
  const rows = []
  for (const item of Array.isArray(summary) ? summary : []) {
    const decimals = decimalsFor(item.latest)
    const direction = item.change > 0 ? 'up' : item.change < 0 ? 'down' : ''
    const row = el('tr')
    row.dataset.series = String(item.series)
    const series = el('td', '', String(item.series))
    const latest = el('td', 'latest', formatNumber(item.latest, decimals, false))
    latest.dataset.testid = 'latest'
    const change = el('td', 'change ' + direction, formatNumber(item.change, decimals, true))
    change.dataset.testid = 'change'
    const hasPct = typeof item.changePct === 'number' && Number.isFinite(item.changePct)
    const pct = el('td', 'pct ' + direction, hasPct ? pctFormat.format(item.changePct / 100) : '–')
    pct.dataset.testid = 'change-pct'
    const at = el('td', 'at', formatTime(item.at, atFormat))
    at.title = String(item.at || '')
    row.append(series, latest, change, pct, at)
    rows.push(row)
  }
  entry.body.replaceChildren(...rows)
}

function update(data) {
  if (!data || typeof data.chart !== 'string') return
  const entry = cards.get(data.chart) || createCard(data.chart)
  entry.title.textContent = data.title || data.chart
  if (data.title && data.title !== data.chart) entry.title.append(el('small', '', data.chart))
  entry.meta.textContent = 'updated ' + formatTime(data.renderedAt, timeFormat) + ' · ' +
    intFormat.format(data.points) + ' points' +
    (data.renderedPoints !== data.points ? ' (' + intFormat.format(data.renderedPoints) + ' drawn)' : '')
  entry.meta.title = String(data.renderedAt || '')
  entry.card.dataset.renderedAt = String(data.renderedAt || '')
  if (typeof data.svg === 'string' && data.svg) showSvg(entry, data.svg)
  showSummary(entry, data.summary)
  entry.card.classList.remove('flash')
  void entry.card.offsetWidth
  entry.card.classList.add('flash')
  lastEvent.textContent = 'last update ' + formatTime(new Date().toISOString(), timeFormat)
}

let source
function connect() {
  source = new EventSource('events')
  source.addEventListener('open', () => setConnection('live', 'live'))
  source.addEventListener('chart', (event) => {
    try { update(JSON.parse(event.data)) } catch (error) { console.error('bad chart update', error) }
  })
  source.addEventListener('error', () => {
    setConnection('reconnecting', 'reconnecting…')
    // EventSource retries by itself while CONNECTING; CLOSED (an HTTP error) would be final, so start a new one.
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000)
  })
}
connect()
`
