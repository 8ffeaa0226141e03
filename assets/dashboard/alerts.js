// The alerts panel: newest first, each alert's rule, message, time and other fields as text (never markup).
import {el, formatTime} from './format.js'

const list = document.querySelector('[data-testid="alerts"]')
const count = document.querySelector('[data-testid="alert-count"]')
const none = document.querySelector('[data-testid="no-alerts"]')
const SHOWN = 100
const TIME_FIELDS = ['time', 'timestamp', 't']
const SKIP = new Set(['alert', 'message', 'record_type', ...TIME_FIELDS])
let total = 0

function timeOf(row) {
  for (const field of TIME_FIELDS) if (row[field] !== undefined && row[field] !== '') return row[field]
  return undefined
}

function alertItem(row) {
  const item = el('li', 'alert')
  item.dataset.testid = 'alert'
  const head = el('div', 'alert-head')
  head.append(el('b', 'alert-rule', String(row.alert ?? 'alert')))
  const when = timeOf(row)
  if (when !== undefined) head.append(el('time', 'alert-time', formatTime(when)))
  item.append(head)
  if (row.message) item.append(el('p', 'alert-message', String(row.message)))
  const meta = el('div', 'alert-meta')
  for (const [field, value] of Object.entries(row)) {
    if (SKIP.has(field) || value === '' || value === null || value === undefined) continue
    meta.append(el('span', '', field + ' ' + String(value)))
  }
  if (meta.childElementCount > 0) item.append(meta)
  return item
}

export function addAlerts(rows, reset) {
  if (reset) {
    list.replaceChildren()
    total = 0
  }
  for (const row of rows) list.prepend(alertItem(row))
  while (list.childElementCount > SHOWN) list.lastElementChild.remove()
  total += rows.length
  count.textContent = String(total)
  none.hidden = total > 0
}
