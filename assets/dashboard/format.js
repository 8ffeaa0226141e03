// Number and time formatting for the dashboard: values span 100,000 to 0.00001, so decimals follow the magnitude.
const formats = new Map()
const timeFormat = new Intl.DateTimeFormat(undefined, {
  timeZone: 'UTC',
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
})
const pctFormat = new Intl.NumberFormat(undefined, {
  style: 'percent',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: 'exceptZero',
})

export function decimalsFor(value) {
  const abs = Math.abs(value)
  if (!(abs > 0) || abs >= 1) return 2
  return Math.min(10, 3 - Math.floor(Math.log10(abs)))
}

export function formatNumber(value, decimals = decimalsFor(value), signed = false) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–'
  const key = decimals + (signed ? '+' : '')
  let format = formats.get(key)
  if (!format) {
    format = new Intl.NumberFormat(undefined, {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
      signDisplay: signed ? 'exceptZero' : 'auto',
    })
    formats.set(key, format)
  }
  return format.format(value)
}

export function formatPct(value) {
  return typeof value === 'number' && Number.isFinite(value) ? pctFormat.format(value) : '–'
}

/** Epoch ms (or anything Date takes) as a UTC time; the raw text when it is not a time. */
export function formatTime(value) {
  const date = new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value)
  return Number.isNaN(date.getTime()) ? String(value ?? '') : timeFormat.format(date) + ' UTC'
}

export function el(tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}
