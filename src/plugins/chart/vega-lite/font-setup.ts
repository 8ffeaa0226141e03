/**
 * Makes PNG text come out the same on every machine: sharp (libvips + librsvg) finds fonts through fontconfig, which
 * on a bare server has no fonts (text drawn as boxes) and on a desktop has whatever fonts happen to be installed. We
 * point fontconfig at a fonts.conf whose only font folder is the project's assets/fonts. fontconfig reads
 * FONTCONFIG_FILE once, when it first initialises, so the variable is set before sharp is first imported, and sharp is
 * only ever imported through loadSharp().
 */
import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {default as Sharp} from 'sharp'
import {cacheDir} from '../../../sdk/index.js'

/** The family every chart uses; the shipped TTFs are its regular and bold faces. */
export const CHART_FONT_FAMILY = 'DejaVu Sans'

// Same depth under src/ and dist/, so this resolves to <package>/assets/fonts from both.
export const FONT_DIR = fileURLToPath(new URL('../../../../assets/fonts/', import.meta.url))
export const FONT_FILES = {regular: join(FONT_DIR, 'DejaVuSans.ttf'), bold: join(FONT_DIR, 'DejaVuSans-Bold.ttf')}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/**
 * A fonts.conf whose only fonts are those in `fontDir`. Every generic family is aliased to the shipped font, so a
 * spec asking for serif or monospace still gets a real glyph rather than a box.
 */
export function fontsConf(fontDir: string, fontCacheDir: string, family = CHART_FONT_FAMILY): string {
  const alias = (generic: string) =>
    `  <alias binding="same"><family>${generic}</family><prefer><family>${escapeXml(family)}</family></prefer></alias>`
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
    '<fontconfig>',
    `  <dir>${escapeXml(fontDir)}</dir>`,
    `  <cachedir>${escapeXml(fontCacheDir)}</cachedir>`,
    ...['sans-serif', 'serif', 'monospace', 'system-ui', 'Helvetica', 'Arial'].map(alias),
    '</fontconfig>',
    '',
  ].join('\n')
}

/**
 * Writes a fonts.conf for `fontDir` into the user cache and returns its path. The name carries a hash of the folder so
 * two checkouts of the project never share (and fight over) one file; the write is atomic so a second process never
 * reads half a file.
 */
export function writeFontsConf(fontDir = FONT_DIR, env: NodeJS.ProcessEnv = process.env): string {
  const root = join(cacheDir(env), 'fontconfig')
  const fontCache = join(root, 'cache')
  mkdirSync(fontCache, {recursive: true})
  const id = createHash('sha256').update(fontDir).digest('hex').slice(0, 12)
  const file = join(root, `fonts-${id}.conf`)
  const text = fontsConf(fontDir, fontCache)
  let current: string | undefined
  try {
    current = readFileSync(file, 'utf8')
  } catch {
    current = undefined
  }
  if (current !== text) {
    const temp = `${file}.${process.pid}.tmp`
    writeFileSync(temp, text)
    renameSync(temp, file)
  }
  return file
}

let configured: string | undefined

/** Points fontconfig at the shipped fonts (idempotent). Must run before sharp is first imported. */
export function setupFonts(): string {
  configured ??= writeFontsConf()
  // Overrides a user's FONTCONFIG_FILE on purpose: the same PNG on every machine is the point.
  process.env.FONTCONFIG_FILE = configured
  return configured
}

let sharpModule: Promise<typeof Sharp> | undefined

/** sharp, imported only after fontconfig has been pointed at the shipped fonts. */
export function loadSharp(): Promise<typeof Sharp> {
  if (!sharpModule) {
    setupFonts()
    sharpModule = import('sharp').then((module) => {
      // Every render's SVG differs, so libvips' operation cache would only hold memory.
      module.default.cache(false)
      return module.default
    })
  }
  return sharpModule
}
