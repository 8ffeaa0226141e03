/**
 * What every page of the chart server starts with: escaping for text from data and config, and the document head
 * (UTF-8, viewport, light and dark, no favicon request, a title) with the page's nonce'd style.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** The page's style: inline CSS, or a stylesheet's URL; either runs only with the response's CSP nonce. */
export type PageStyle = {css: string} | {href: string}

/** `<!doctype html>` up to and including `<body>`; `title` is escaped here. */
export function documentStart(title: string, nonce: string, style: PageStyle): string {
  const n = escapeHtml(nonce)
  const styleTag =
    'css' in style
      ? `<style nonce="${n}">${style.css}</style>`
      : `<link rel="stylesheet" nonce="${n}" href="${escapeHtml(style.href)}">`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
${styleTag}
</head>
<body>`
}
