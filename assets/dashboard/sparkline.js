// A small SVG line of the latest values, built with DOM calls (no markup strings).
const SVG = 'http://www.w3.org/2000/svg'
const WIDTH = 120
const HEIGHT = 32

export function sparkline() {
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`)
  svg.setAttribute('class', 'spark')
  svg.setAttribute('aria-hidden', 'true')
  const path = document.createElementNS(SVG, 'path')
  svg.append(path)
  return svg
}

/** Draws `values` (at most ~WIDTH of them are used) into a sparkline made by sparkline(). */
export function drawSparkline(svg, values) {
  const step = Math.max(1, Math.floor(values.length / WIDTH))
  const points = []
  for (let i = values.length % step; i < values.length; i += step) points.push(values[i])
  let min = Infinity
  let max = -Infinity
  for (const v of points) {
    if (v < min) min = v
    if (v > max) max = v
  }
  const span = max - min || 1
  const dx = WIDTH / Math.max(1, points.length - 1)
  const d = points
    .map(
      (v, i) =>
        (i === 0 ? 'M' : 'L') + (i * dx).toFixed(1) + ',' + (HEIGHT - 2 - ((v - min) / span) * (HEIGHT - 4)).toFixed(1),
    )
    .join('')
  svg.firstChild.setAttribute('d', d)
}
