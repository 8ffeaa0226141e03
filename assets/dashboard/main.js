// The live dashboard: charts drawn by Vega from the stream's rows, range presets, cards, alerts. The range is kept in
// the URL (#range=1h, or #from=…&to=… in epoch ms), so a link opens the same view.
import {addAlerts} from './alerts.js'
import {dropCard, updateCard} from './cards.js'
import {attachInteraction} from './interaction.js'
import {LiveChart} from './live-chart.js'
import {connect} from './stream.js'
import {formatTime} from './format.js'

const PRESETS = {'15m': 15 * 60e3, '1h': 60 * 60e3, '24h': 24 * 60 * 60e3, '7d': 7 * 24 * 60 * 60e3, all: 0}
const charts = new Map()
const main = document.getElementById('charts')
const lastEvent = document.querySelector('[data-testid="last-event"]')
const dark = window.matchMedia('(prefers-color-scheme: dark)')
const dirtyCards = new Set()
let range = rangeFromHash()
let events = Promise.resolve()
let listing
let cardsTimer
let lastRowsAt = 0
const CARDS_MS = 500

// For tests and the console: the charts, their views and rows.
window.etlDashboard = {charts, ready: false, stats: {resets: 0, rows: {}}}

function rangeFromHash() {
  const params = new URLSearchParams(location.hash.slice(1))
  const from = Number(params.get('from'))
  const to = Number(params.get('to'))
  if (Number.isFinite(from) && Number.isFinite(to) && to > from && params.has('from')) return {domain: [from, to]}
  const preset = params.get('range')
  return {preset: Object.hasOwn(PRESETS, preset ?? '') ? preset : 'all'}
}

function writeHash() {
  const hash = range.preset
    ? range.preset === 'all'
      ? ''
      : 'range=' + range.preset
    : 'from=' + Math.round(range.domain[0]) + '&to=' + Math.round(range.domain[1])
  history.replaceState(null, '', hash ? '#' + hash : location.pathname + location.search)
  for (const button of document.querySelectorAll('[data-range]'))
    button.setAttribute('aria-pressed', String(button.dataset.range === range.preset))
}

function applyRange(chart) {
  if (range.domain) return chart.setDomain(range.domain, false)
  const width = PRESETS[range.preset]
  return chart.setDomain(width ? [0, width] : null, width > 0)
}

function setRange(next) {
  range = next
  writeHash()
  void Promise.all([...charts.values()].map(applyRange)).then(markAllCards)
}

/** Cards show the change over what the charts show: every card is redrawn when the range changes. */
function markAllCards() {
  for (const chart of charts.values())
    for (const key of chart.windows.keys()) dirtyCards.add(chart.name + '\u0000' + key)
  // A range the user picked shows at once; only the stream's updates are spaced out.
  requestAnimationFrame(drawCards)
}

/** Creates the charts /api/charts lists that the page does not have yet (it is asked again for a new name). */
function refreshCharts() {
  listing ??= fetch('api/charts')
    .then((response) => response.json())
    .then((list) => {
      for (const info of list) if (info.spec && !charts.has(info.chart)) addChart(info)
    })
    .finally(() => (listing = undefined))
  return listing
}

// Charts out of sight are not redrawn as rows arrive; they catch up when scrolled into view.
const onScreen = new IntersectionObserver((entries) => {
  for (const entry of entries) charts.get(entry.target.dataset.chart)?.setVisible(entry.isIntersecting)
})

function addChart(info) {
  document.querySelector('[data-testid="empty"]')?.remove()
  const chart = new LiveChart(info, main, dark.matches)
  charts.set(info.chart, chart)
  onScreen.observe(chart.element)
  attachInteraction(
    chart,
    (domain) => setRange({domain}),
    () => setRange({preset: 'all'}),
  )
  void applyRange(chart)
}

async function onRows({chart: name, reset, rows}) {
  if (!charts.has(name)) await refreshCharts()
  const chart = charts.get(name)
  if (!chart) return
  const stats = window.etlDashboard.stats
  stats.rows[name] = (stats.rows[name] ?? 0) + rows.length
  if (reset) stats.resets++
  const before = reset ? [...chart.windows.keys()] : []
  for (const key of chart.apply(rows, reset)) dirtyCards.add(chart.name + '\u0000' + key)
  for (const key of before) if (!chart.windows.has(key)) dropCard(key, chart.name)
  if (reset) for (const key of chart.windows.keys()) dirtyCards.add(chart.name + '\u0000' + key)
  lastRowsAt = Date.now()
  scheduleCards()
}

/** Cards and the header redraw at most every CARDS_MS, however many events arrive (each redraw costs a paint). */
function scheduleCards() {
  if (cardsTimer) return
  cardsTimer = setTimeout(() => {
    cardsTimer = undefined
    requestAnimationFrame(drawCards)
  }, CARDS_MS)
}

function drawCards() {
  if (lastRowsAt) lastEvent.textContent = 'last update ' + formatTime(lastRowsAt)
  for (const id of dirtyCards) {
    const [name, key] = id.split('\u0000')
    const chart = charts.get(name)
    if (chart?.ready) updateCard(key, name, chart.rowsInView(key), chart.windows.get(key)?.at(-1), chart.fields)
  }
  dirtyCards.clear()
}

for (const button of document.querySelectorAll('[data-range]')) {
  button.addEventListener('click', () => setRange({preset: button.dataset.range}))
}
// A link with another range opened in this page (only the hash changed): show that range.
window.addEventListener('hashchange', () => setRange(rangeFromHash()))
document.querySelector('[data-action="reset"]').addEventListener('click', () => setRange({preset: 'all'}))
dark.addEventListener('change', () => {
  for (const chart of charts.values()) void chart.rebuild(dark.matches).then(() => applyRange(chart))
})

writeHash()
await refreshCharts()
window.etlDashboard.ready = true
connect({
  rows: (data) => (events = events.then(() => onRows(data))),
  alerts: ({reset, rows}) => (events = events.then(() => addAlerts(rows, reset))),
})
