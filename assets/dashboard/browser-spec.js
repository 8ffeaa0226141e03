// The chart's own Vega-Lite spec, adapted for the page: as wide as its card, marks clipped to the plot, and the x
// scale's domain driven by the signal `xdomain` (null = the data's extent) so zoom, pan and range presets are one
// signal change each. Nothing else of the spec changes, so the page draws what the PNG/SVG files show.
export const XDOMAIN = 'xdomain'
/** How far beyond each edge of the domain (a share of its width) rows still reach the marks. */
export const MARGIN = 0.05

const DARK = {
  background: null,
  title: {color: '#e6e9ee'},
  axis: {
    domainColor: '#5b6675',
    gridColor: '#262d38',
    tickColor: '#5b6675',
    labelColor: '#aab3c0',
    titleColor: '#c3cad4',
  },
  legend: {labelColor: '#c3cad4', titleColor: '#c3cad4'},
  view: {stroke: null},
}
const LIGHT = {background: null, view: {stroke: null}}

function driveX(unit, timeField) {
  const x = unit.encoding && unit.encoding.x
  if (x && x.field === timeField) x.scale = {...(x.scale ?? {}), domainRaw: {expr: XDOMAIN}}
  if (unit.mark !== undefined)
    unit.mark = typeof unit.mark === 'string' ? {type: unit.mark, clip: true} : {...unit.mark, clip: true}
  for (const layer of unit.layer ?? []) driveX(layer, timeField)
}

/** Fields the spec reads (encodings and fold), so the tooltip shows what the chart draws. */
export function readFields(spec) {
  const found = new Set()
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk)
    if (!node || typeof node !== 'object') return
    for (const [key, value] of Object.entries(node)) {
      if (key === 'field' && typeof value === 'string') found.add(value)
      else if (key === 'fold' && Array.isArray(value)) value.forEach((field) => found.add(String(field)))
      else walk(value)
    }
  }
  walk(spec)
  return found
}

export function browserSpec(spec, timeField, dark, height) {
  const copy = structuredClone(spec)
  delete copy.$schema
  // The card's heading shows the title; the rest of the spec is drawn as the rendered files show it.
  delete copy.title
  copy.width = 'container'
  copy.height = height
  copy.autosize = {type: 'fit', contains: 'padding', resize: true}
  copy.params = [...(copy.params ?? []), {name: XDOMAIN, value: null}]
  // Only rows near the x domain reach the marks, so the y scales fit what is in view (a margin keeps lines running
  // to the plot's edges).
  const t = 'datum[' + JSON.stringify(timeField) + ']'
  const margin = '(' + XDOMAIN + '[1] - ' + XDOMAIN + '[0]) * ' + MARGIN
  const near = t + ' >= ' + XDOMAIN + '[0] - ' + margin + ' && ' + t + ' <= ' + XDOMAIN + '[1] + ' + margin
  copy.transform = [{filter: XDOMAIN + ' == null || (' + near + ')'}, ...(copy.transform ?? [])]
  driveX(copy, timeField)
  const theme = dark ? DARK : LIGHT
  const config = copy.config ?? {}
  copy.config = {...config, ...theme, font: 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif'}
  if (dark && config.mark) copy.config.mark = config.mark
  return copy
}
