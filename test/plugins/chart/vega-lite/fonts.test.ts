import {spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import opentype from 'opentype.js'
import {FONT_FILES, fontsConf} from '../../../../src/plugins/chart/vega-lite/font-setup.js'
import {emWidth, measureText} from '../../../../src/plugins/chart/vega-lite/text-metrics.js'

const PROBE = 'test/plugins/chart/vega-lite/fixtures/font-probe.ts'
const TEXTS = ['MMMMMMMMMM', 'iiiiiiiiii', 'Price (USD)']
const SIZE = 40

interface ProbeResult {
  ink: number[]
  fontconfigFile: string
}

/** Runs the probe in a fresh Node (fontconfig reads its config once per process) with an empty home folder. */
function probe(home: string, ...args: string[]): Promise<ProbeResult> {
  const env: NodeJS.ProcessEnv = {...process.env, HOME: home}
  for (const name of ['XDG_CACHE_HOME', 'ETL_CACHE_DIR', 'FONTCONFIG_FILE', 'FONTCONFIG_PATH']) delete env[name]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', PROBE, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (err += chunk))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`probe exited ${code}: ${err}`)),
    )
  })
}

/**
 * Ink width of a text in the shipped font: advances of all but the last glyph, from the first glyph's left edge to the
 * last one's right edge.
 */
function expectedInk(text: string): number {
  const bytes = readFileSync(FONT_FILES.regular)
  const font = opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) as unknown as {
    unitsPerEm: number
    charToGlyph(char: string): {xMin?: number; xMax?: number}
  }
  const first = font.charToGlyph(text[0])
  const last = font.charToGlyph(text[text.length - 1])
  const units = emWidth(text.slice(0, -1)) * font.unitsPerEm + (last.xMax ?? 0) - (first.xMin ?? 0)
  return (units / font.unitsPerEm) * SIZE
}

describe('chart fonts', function () {
  this.timeout(60_000)
  let home: string
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'etl-font-home-'))
  })
  after(async () => {
    await rm(home, {recursive: true, force: true})
  })

  it('draws text in the shipped DejaVu Sans on a machine with an empty home: ink widths match its glyphs', async () => {
    const result = await probe(home, 'shipped')
    // The fonts.conf lives in the (empty) home's cache, and lists only the project's font folder.
    expect(result.fontconfigFile.startsWith(join(home, '.cache', 'etl', 'fontconfig'))).to.equal(true)
    expect(existsSync(result.fontconfigFile)).to.equal(true)
    expect(readFileSync(result.fontconfigFile, 'utf8').match(/<dir>/g)).to.have.length(1)
    TEXTS.forEach((text, i) => {
      const expected = expectedInk(text)
      expect(result.ink[i], `${text}: ink ${result.ink[i]} px vs ${expected.toFixed(1)} px from the TTF`).to.be.closeTo(
        expected,
        expected * 0.01 + 1.5,
      )
    })
    // Wide and narrow letters really differ (boxes would not): M is about three times as wide as i in DejaVu Sans.
    expect(result.ink[0] / result.ink[1]).to.be.greaterThan(2.5)
  })

  it('draws boxes, not those glyphs, when fontconfig has no fonts (so the test above can fail)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etl-nofonts-'))
    try {
      const result = await probe(home, 'empty', dir)
      expect(Math.abs(result.ink[0] - result.ink[1])).to.be.lessThan(5)
      expect(result.ink[0]).to.not.be.closeTo(expectedInk(TEXTS[0]), expectedInk(TEXTS[0]) * 0.03 + 1)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('measures text for vega layout with the shipped font, bold with the bold face', () => {
    expect(measureText({fontSize: 10}, 'Price (USD)')).to.be.closeTo(emWidth('Price (USD)') * 10, 1e-9)
    expect(measureText({}, 'Price')).to.equal(emWidth('Price') * 11)
    expect(measureText({fontSize: 10, fontWeight: 'bold'}, 'Price')).to.be.greaterThan(
      measureText({fontSize: 10}, 'Price'),
    )
    expect(measureText({fontSize: 10, limit: 5}, 'Price (USD)')).to.equal(5)
    expect(measureText({fontSize: 10}, '  ')).to.equal(0)
    // Proportional, unlike vega's 0.8 em per character guess.
    expect(measureText({fontSize: 10}, 'iiii')).to.be.lessThan(measureText({fontSize: 10}, 'MMMM') / 2)
  })

  it('writes a fonts.conf that aliases generic families to the shipped font', () => {
    const text = fontsConf('/fonts & more', '/cache')
    expect(text).to.include('<dir>/fonts &amp; more</dir>')
    expect(text).to.include('<cachedir>/cache</cachedir>')
    expect(text).to.match(/<family>sans-serif<\/family><prefer><family>DejaVu Sans<\/family>/)
  })
})
