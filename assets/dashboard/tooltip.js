// The hover tooltip: one element for the page, filled with textContent only (values come from the data).
import {el, formatNumber, formatTime} from './format.js'

const LABELS = {
  value: 'value',
  ma: 'moving avg',
  open: 'open',
  high: 'high',
  low: 'low',
  close: 'close',
  volume: 'volume',
}
const tip = document.querySelector('[data-testid="tooltip"]')

/** Shows `hits` (one row per key, nearest to the pointer in time) at page position x, y. */
export function showTooltip(x, y, hits, fields, details) {
  const rows = [el('div', 'tip-time', formatTime(hits[0].row[fields.time]))]
  rows[0].dataset.testid = 'tooltip-time'
  for (const {key, row} of hits) {
    const block = el('div', 'tip-key')
    block.dataset.key = String(key)
    block.append(el('div', 'tip-name', String(key)))
    for (const field of details) {
      const value = row[field]
      if (value === null || value === undefined) continue
      const line = el('div', 'tip-line')
      line.dataset.field = field
      const number = el('b', '', formatNumber(Number(value), field === 'volume' ? 2 : undefined))
      number.dataset.value = String(value)
      line.append(el('span', '', LABELS[field] ?? field), number)
      block.append(line)
    }
    rows.push(block)
  }
  tip.replaceChildren(...rows)
  tip.hidden = false
  const width = tip.offsetWidth
  const left = x + 16 + width > window.innerWidth ? x - 16 - width : x + 16
  tip.style.left = Math.max(4, left) + 'px'
  tip.style.top = Math.max(4, y - 12) + 'px'
}

export function hideTooltip() {
  tip.hidden = true
}
