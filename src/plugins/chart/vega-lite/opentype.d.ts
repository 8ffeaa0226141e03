/** The small part of opentype.js (which ships no type declarations) that text-metrics.ts uses. */
declare module 'opentype.js' {
  export interface Glyph {
    index: number
    advanceWidth?: number
  }
  export interface Font {
    unitsPerEm: number
    charToGlyph(char: string): Glyph
    position: {
      getKerningTables(script: string, language?: string): unknown
      getKerningValue(tables: unknown, left: number, right: number): number
    }
  }
  export function parse(buffer: ArrayBuffer, options?: {lowMemory?: boolean}): Font
  const opentype: {parse: typeof parse}
  export default opentype
}
