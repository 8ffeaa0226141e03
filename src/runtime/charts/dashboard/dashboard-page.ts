/**
 * The dashboard's HTML: a fixed shell; assets/dashboard/main.js fills it from /api/charts and the event stream, with
 * textContent only. Every URL is relative, so the page works under any path prefix (several pipelines behind one
 * proxy, each at its own address). Script and style run only with this response's nonce.
 */
import {documentStart, escapeHtml} from '../html-head.js'
import {VENDOR_SCRIPTS} from './dashboard-assets.js'

export const RANGE_PRESETS = ['15m', '1h', '24h', '7d', 'all'] as const

export function dashboardPageHtml(title: string, nonce: string): string {
  const safeTitle = escapeHtml(title)
  const n = escapeHtml(nonce)
  const vendor = VENDOR_SCRIPTS.map((name) => `<script nonce="${n}" src="assets/vendor/${name}"></script>`).join('\n')
  const presets = RANGE_PRESETS.map(
    (range) => `<button type="button" data-range="${range}" aria-pressed="false">${range}</button>`,
  ).join('')
  return `${documentStart(`${title} · etl dashboard`, nonce, {href: 'assets/dashboard/dashboard.css'})}
<header class="top">
  <div>
    <div class="kicker">etl · live dashboard</div>
    <h1 data-testid="page-title">${safeTitle}</h1>
  </div>
  <nav class="ranges" aria-label="Time range" data-testid="ranges">${presets}
    <button type="button" data-action="reset" data-testid="reset-zoom">Reset zoom</button>
  </nav>
  <div class="status">
    <span class="last" data-testid="last-event"></span>
    <span class="conn" data-testid="connection" data-state="connecting"><i></i><b>connecting…</b></span>
  </div>
</header>
<section class="cards" data-testid="cards" aria-label="Latest values"></section>
<div class="layout">
  <main id="charts" data-testid="charts" aria-label="Charts">
    <p class="empty" data-testid="empty">Waiting for the first rows…</p>
  </main>
  <aside class="alerts" aria-label="Alerts">
    <h2>Alerts <span class="count" data-testid="alert-count">0</span></h2>
    <ol data-testid="alerts"></ol>
    <p class="none" data-testid="no-alerts">No alerts yet.</p>
  </aside>
</div>
<div class="tooltip" data-testid="tooltip" role="status" hidden></div>
${vendor}
<script type="module" nonce="${n}" src="assets/dashboard/main.js"></script>
</body>
</html>
`
}

/** The page's Content-Security-Policy: its own nonce-carrying scripts (and their imports) and style, nothing else. */
export function dashboardCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' 'strict-dynamic'`,
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}
