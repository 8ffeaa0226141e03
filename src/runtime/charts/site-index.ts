/**
 * The index of a chart site serving several pipelines (`etl chart a.yaml b.yaml --serve`): one link per pipeline to
 * its dashboard and its image page. Static HTML with no script; names and descriptions are escaped text.
 */
import {documentStart, escapeHtml} from './html-head.js'

export interface SiteIndexEntry {
  name: string
  description?: string
  /** The pipeline's pages: `/<encoded name>/`. */
  base: string
}

export function siteIndexHtml(entries: SiteIndexEntry[], nonce: string): string {
  const items = entries
    .map((entry) => {
      const href = escapeHtml(entry.base)
      const about = entry.description ? `<p>${escapeHtml(entry.description)}</p>` : ''
      return (
        `<li data-testid="pipeline" data-name="${escapeHtml(entry.name)}"><a href="${href}">${escapeHtml(entry.name)}` +
        `</a> <a class="images" href="${href}images">images</a>${about}</li>`
      )
    })
    .join('\n')
  return `${documentStart('etl dashboards', nonce, {css: INDEX_CSS})}
<h1>etl · live dashboards</h1>
<ul>
${items}
</ul>
</body>
</html>
`
}

const INDEX_CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
body{margin:2rem auto;max-width:48rem;padding:0 1rem}
h1{font-size:1.25rem;font-weight:600}
ul{list-style:none;padding:0}
li{border:1px solid #8884;border-radius:8px;margin:.75rem 0;padding:.75rem 1rem}
li>a:first-child{font-weight:600;font-size:1.05rem}
.images{font-size:.85rem;margin-left:.5rem}
p{margin:.25rem 0 0;color:#888}
`
