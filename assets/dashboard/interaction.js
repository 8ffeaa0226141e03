// Pointer interaction on a chart: the wheel zooms the time axis around the pointer, a drag pans it, a double click
// resets it (each reported through onDomain, so every chart follows), and hovering shows each key's nearest row.
import {hideTooltip, showTooltip} from './tooltip.js'

const ZOOM_PER_PIXEL = 0.002

/** Pointer x in the plot's own coordinates (0 = left edge of the data rectangle). */
function plotX(chart, event) {
  const canvas = chart.plot.querySelector('canvas')
  if (!canvas || !chart.view) return NaN
  return event.clientX - canvas.getBoundingClientRect().left - chart.view.origin()[0]
}

function nearest(list, field, t) {
  let lo = 0
  let hi = list.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (list[mid][field] < t) lo = mid + 1
    else hi = mid
  }
  if (lo > 0 && Math.abs(list[lo - 1][field] - t) <= Math.abs(list[lo][field] - t)) lo--
  return list[lo]
}

/** Each key's row nearest in time to the pointer, the overall nearest first; none when off the plot. */
export function rowsAt(chart, x) {
  const [left, right] = chart.view.scale('x').range()
  if (!(x >= left && x <= right)) return []
  const t = Number(chart.view.scale('x').invert(x))
  const [from, to] = chart.visibleDomain()
  const hits = []
  for (const [key, list] of chart.windows) {
    if (list.length === 0) continue
    const row = nearest(list, chart.fields.time, t)
    const at = row[chart.fields.time]
    if (at >= from && at <= to) hits.push({key, row, distance: Math.abs(at - t)})
  }
  hits.sort((a, b) => a.distance - b.distance)
  // Keys whose nearest row is at the same time as the closest one are shown together (one time per tooltip).
  return hits.filter((hit) => hit.row[chart.fields.time] === hits[0]?.row[chart.fields.time])
}

function hover(chart, event) {
  const x = plotX(chart, event)
  const hits = Number.isNaN(x) ? [] : rowsAt(chart, x)
  if (hits.length === 0) return leave(chart)
  showTooltip(event.clientX, event.clientY, hits, chart.fields, chart.details)
  const px = chart.view.scale('x')(hits[0].row[chart.fields.time]) + chart.view.origin()[0]
  chart.crosshair.style.left = px + 'px'
  chart.crosshair.hidden = false
}

function leave(chart) {
  hideTooltip()
  chart.crosshair.hidden = true
}

function zoom(chart, event, onDomain) {
  const x = plotX(chart, event)
  if (Number.isNaN(x)) return
  event.preventDefault()
  const [from, to] = chart.visibleDomain()
  const t = Number(chart.view.scale('x').invert(x))
  const factor = Math.exp(event.deltaY * ZOOM_PER_PIXEL)
  onDomain([t - (t - from) * factor, t + (to - t) * factor])
}

export function attachInteraction(chart, onDomain, onReset) {
  const frame = chart.plot.parentElement
  let drag
  frame.addEventListener('pointermove', (event) => {
    if (!drag) return hover(chart, event)
    const [left, right] = chart.view.scale('x').range()
    const shift = ((event.clientX - drag.x) / (right - left)) * (drag.domain[1] - drag.domain[0])
    onDomain([drag.domain[0] - shift, drag.domain[1] - shift])
  })
  frame.addEventListener('pointerleave', () => leave(chart))
  frame.addEventListener('pointerdown', (event) => {
    if (event.button !== 0 || Number.isNaN(plotX(chart, event))) return
    drag = {x: event.clientX, domain: chart.visibleDomain()}
    frame.setPointerCapture(event.pointerId)
    frame.classList.add('dragging')
    leave(chart)
  })
  const endDrag = () => {
    drag = undefined
    frame.classList.remove('dragging')
  }
  frame.addEventListener('pointerup', endDrag)
  frame.addEventListener('pointercancel', endDrag)
  frame.addEventListener('wheel', (event) => zoom(chart, event, onDomain), {passive: false})
  frame.addEventListener('dblclick', () => onReset())
}
