/**
 * Text widths for vega's layout from the shipped font's advance widths and kerning. Without a canvas, vega guesses
 * 0.8 × font size per character, which is wrong for both "1" and "W": axis titles then overlap labels, legends get
 * clipped and titles sit off-centre once librsvg draws the real glyphs. Measuring with the same TTF that fontconfig
 * hands librsvg makes the layout match the pixels.
 */
import {readFileSync} from 'node:fs'
import opentype, {type Font} from 'opentype.js'
import {FONT_FILES} from './font-setup.js'

interface Face {
  font: Font
  kerning: unknown
  /** Width of a text at 1 font-size unit, by text: labels repeat at every render, so they are measured once. */
  cache: Map<string, number>
}

const CACHE_LIMIT = 20_000
const faces: {regular?: Face; bold?: Face} = {}

function loadFace(file: string): Face {
  const bytes = readFileSync(file)
  // lowMemory parses glyphs on demand: the full parse of both faces holds ~50 MB of outlines we never draw.
  const font = opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), {
    lowMemory: true,
  })
  return {font, kerning: font.position.getKerningTables('latn'), cache: new Map()}
}

function face(bold: boolean): Face {
  // opentype.js's own getAdvanceWidth runs its shaper, which throws on DejaVu's ccmp lookups; glyph by glyph plus GPOS
  // pair kerning is what HarfBuzz does for Latin labels anyway.
  if (bold) return (faces.bold ??= loadFace(FONT_FILES.bold))
  return (faces.regular ??= loadFace(FONT_FILES.regular))
}

/** Width of `text` in em (multiply by the font size for pixels). */
export function emWidth(text: string, bold = false): number {
  const f = face(bold)
  let width = f.cache.get(text)
  if (width !== undefined) return width
  let units = 0
  let previous = -1
  for (const char of text) {
    const glyph = f.font.charToGlyph(char)
    units += glyph.advanceWidth ?? 0
    if (previous >= 0) units += f.font.position.getKerningValue(f.kerning, previous, glyph.index)
    previous = glyph.index
  }
  width = units / f.font.unitsPerEm
  if (f.cache.size >= CACHE_LIMIT) f.cache.clear()
  f.cache.set(text, width)
  return width
}

interface TextItem {
  fontSize?: number | string
  fontWeight?: number | string
  limit?: number
}

const isBold = (weight: unknown) =>
  weight === 'bold' || weight === 'bolder' || (weight !== undefined && Number(weight) >= 600)

/**
 * vega's `textMetrics.width(item, text)`. Truncation to `item.limit` is approximated by the limit itself: vega's own
 * truncation calls back into this function, so it cannot be reused here without recursing.
 */
export function measureText(item: TextItem, text: unknown): number {
  const size = item.fontSize == null ? 11 : Number(item.fontSize) || 0
  const value = text == null ? '' : String(text).trim()
  if (size <= 0 || value === '') return 0
  const width = emWidth(value, isBold(item.fontWeight)) * size
  return item.limit && item.limit > 0 ? Math.min(width, item.limit) : width
}

interface TextMetrics {
  width: (item: TextItem, text: unknown) => number
}

/**
 * Replaces the width function on vega's shared textMetrics object. vega re-exports vega-scenegraph's single instance,
 * and vega-label imports it from there too, so mutating the object is seen by every caller.
 */
export function installTextMetrics(textMetrics: TextMetrics): void {
  textMetrics.width = measureText
}
