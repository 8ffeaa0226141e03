// One card per key (the chart rows' key field): last value, change over the chart's window, and a sparkline.
import {el, formatNumber, formatPct, formatTime} from './format.js'
import {drawSparkline, sparkline} from './sparkline.js'

const container = document.querySelector('[data-testid="cards"]')
const cards = new Map()

function createCard(key, chartName) {
  const card = el('article', 'card')
  card.dataset.testid = 'key-card'
  card.dataset.key = key
  card.dataset.chart = chartName
  const name = el('h3', 'card-key', key)
  const last = el('div', 'card-last')
  last.dataset.testid = 'card-last'
  const change = el('div', 'card-change')
  change.dataset.testid = 'card-change'
  const at = el('div', 'card-at')
  const spark = sparkline()
  const text = el('div', 'card-text')
  text.append(name, last, change, at)
  card.append(text, spark)
  container.append(card)
  const entry = {card, last, change, at, spark, chart: chartName}
  cards.set(key, entry)
  return entry
}

/**
 * Updates the card of `key`: its latest row, the change since the first row in view, and the rows in view as the
 * sparkline. A key already shown by another chart keeps that chart's card.
 */
export function updateCard(key, chartName, rows, latestRow, fields) {
  const entry = cards.get(key) ?? createCard(key, chartName)
  if (entry.chart !== chartName || !latestRow) return
  const values = rows.map((row) => Number(row[fields.value]))
  const latest = Number(latestRow[fields.value])
  const first = values.length > 0 ? values[0] : latest
  const diff = latest - first
  entry.last.textContent = formatNumber(latest)
  entry.last.dataset.value = String(latest)
  entry.change.textContent = formatNumber(diff, undefined, true) + ' (' + formatPct(first ? diff / first : 0) + ')'
  entry.change.title = 'change since ' + formatTime((rows[0] ?? latestRow)[fields.time])
  entry.change.className = 'card-change ' + (diff > 0 ? 'up' : diff < 0 ? 'down' : '')
  entry.at.textContent = 'as of ' + formatTime(latestRow[fields.time])
  entry.card.classList.toggle('down', diff < 0)
  drawSparkline(entry.spark, values.slice(-600))
}

/** Forgets the card of `key` (its chart's window was emptied). */
export function dropCard(key, chartName) {
  const entry = cards.get(key)
  if (!entry || entry.chart !== chartName) return
  entry.card.remove()
  cards.delete(key)
}
