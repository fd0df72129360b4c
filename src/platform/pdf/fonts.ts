import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import fontkit, { type Font } from '@pdf-lib/fontkit'
import type { PDFDocument, PDFFont } from 'pdf-lib'
import { buildTrueType } from './truetype.ts'

export type Weight = 'regular' | 'bold'

const require = createRequire(import.meta.url)
const fontFile = (pkg: string, file: string) => join(dirname(require.resolve(pkg)), '..', 'fonts', file)

/** NotoSans covers Latin, Greek and Cyrillic; NotoSansHans the CJK ideographs it lacks. Read once, on first use. */
const SOURCES = {
  latin: { regular: ['@embedpdf/fonts-latin', 'NotoSans-Regular.ttf'], bold: ['@embedpdf/fonts-latin', 'NotoSans-Bold.ttf'] },
  cjk: { regular: ['@embedpdf/fonts-sc', 'NotoSansHans-Regular.otf'], bold: ['@embedpdf/fonts-sc', 'NotoSansHans-Bold.otf'] },
} as const
type Script = keyof typeof SOURCES

const loaded = new Map<string, Font>()
function sourceFont(script: Script, weight: Weight): Font {
  const key = `${script}-${weight}`
  let font = loaded.get(key)
  if (!font) {
    const [pkg, file] = SOURCES[script][weight]
    font = fontkit.create(readFileSync(fontFile(pkg, file)))
    loaded.set(key, font)
  }
  return font
}

export interface TextRun {
  text: string
  font: PDFFont
}

/**
 * The fonts of one PDF: text is split into runs by the font that has its characters (NotoSans
 * first, then NotoSansHans), and each font is embedded once, holding only the characters used.
 * Call `prepare` with every string first, then `embed`, then `runs`.
 */
export class FontSet {
  private readonly used = new Map<string, Set<number>>()
  private readonly embedded = new Map<string, PDFFont>()

  private scriptOf(codePoint: number): Script {
    return sourceFont('latin', 'regular').hasGlyphForCodePoint(codePoint) || !sourceFont('cjk', 'regular').hasGlyphForCodePoint(codePoint) ? 'latin' : 'cjk'
  }

  private split(text: string): { script: Script; text: string }[] {
    const runs: { script: Script; text: string }[] = []
    for (const character of text.normalize('NFC')) {
      const codePoint = character.codePointAt(0) ?? 0
      const last = runs[runs.length - 1]
      // Spaces and punctuation both fonts have stay in the current run, so runs stay long.
      const script = last && character.trim() === '' ? last.script : this.scriptOf(codePoint)
      if (last?.script === script) last.text += character
      else runs.push({ script, text: character })
    }
    return runs
  }

  prepare(text: string, weight: Weight): void {
    for (const run of this.split(text)) {
      const key = `${run.script}-${weight}`
      const set = this.used.get(key) ?? new Set<number>()
      for (const character of run.text) set.add(character.codePointAt(0) ?? 0)
      this.used.set(key, set)
    }
  }

  async embed(document: PDFDocument): Promise<void> {
    document.registerFontkit(fontkit)
    for (const key of [...this.used.keys()].sort()) {
      const [script, weight] = key.split('-') as [Script, Weight]
      const source = sourceFont(script, weight)
      const bytes = buildTrueType(source, [...(this.used.get(key) ?? [])])
      // PDF names a subset font "TAG+Name"; the tag comes from the content, so it is stable.
      const tag = [...createHash('sha256').update(bytes).digest().subarray(0, 6)].map((byte) => String.fromCharCode(65 + (byte % 26))).join('')
      this.embedded.set(key, await document.embedFont(bytes, { subset: false, customName: `${tag}+${source.postscriptName}` }))
    }
  }

  runs(text: string, weight: Weight): TextRun[] {
    return this.split(text).map((run) => {
      const font = this.embedded.get(`${run.script}-${weight}`)
      if (!font) throw new Error(`Text "${text}" was not prepared before embedding.`)
      return { text: run.text, font }
    })
  }
}
