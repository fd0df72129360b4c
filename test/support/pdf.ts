import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import fontverter from 'fontverter'
import * as hb from 'harfbuzzjs'
import { decodePDFRawStream, PDFArray, PDFDocument, PDFRawStream } from 'pdf-lib'

const run = promisify(execFile)
const require = createRequire(import.meta.url)
const embedpdf = (pkg: string, file: string) => join(dirname(require.resolve(`@embedpdf/${pkg}`)), '..', 'fonts', file)

interface ScriptName {
  script: string
  name: string
  /** The full font HarfBuzz shapes the name with, to know how many glyphs a correct PDF draws. */
  fonts: { regular: string; bold: string }
}

/** A person's name in each script the PDFs must draw. */
export const SCRIPT_NAMES: ScriptName[] = [
  { script: 'Latin', name: 'Zoë Ångström-Łukasiewicz', fonts: notoSans() },
  { script: 'Cyrillic', name: 'Ніна Шевченко', fonts: notoSans() },
  { script: 'Devanagari', name: 'अनुष्का शर्मा', fonts: notoSans() },
  {
    script: 'Arabic',
    name: 'محمد بن سلمان',
    fonts: { regular: embedpdf('fonts-arabic', 'NotoNaskhArabic-Regular.ttf'), bold: embedpdf('fonts-arabic', 'NotoNaskhArabic-Bold.ttf') },
  },
  {
    script: 'Hebrew',
    name: 'דוד בן גוריון',
    fonts: { regular: embedpdf('fonts-hebrew', 'NotoSansHebrew-Regular.ttf'), bold: embedpdf('fonts-hebrew', 'NotoSansHebrew-Bold.ttf') },
  },
  {
    script: 'Thai',
    name: 'น้ำฝน ใจดี',
    fonts: {
      regular: require.resolve('@fontsource/noto-sans-thai/files/noto-sans-thai-thai-400-normal.woff'),
      bold: require.resolve('@fontsource/noto-sans-thai/files/noto-sans-thai-thai-700-normal.woff'),
    },
  },
  {
    script: 'Chinese',
    name: '李小龍',
    fonts: { regular: embedpdf('fonts-sc', 'NotoSansHans-Regular.otf'), bold: embedpdf('fonts-sc', 'NotoSansHans-Bold.otf') },
  },
  {
    script: 'Japanese',
    name: '山田 はなこ',
    fonts: { regular: embedpdf('fonts-jp', 'NotoSansJP-Regular.otf'), bold: embedpdf('fonts-jp', 'NotoSansJP-Bold.otf') },
  },
]

function notoSans() {
  return { regular: embedpdf('fonts-latin', 'NotoSans-Regular.ttf'), bold: embedpdf('fonts-latin', 'NotoSans-Bold.ttf') }
}

/** The glyphs HarfBuzz shapes `text` into with a whole font file (no subsetting, no PDF). */
export async function shapedGlyphs(text: string, fontFile: string): Promise<number[]> {
  const bytes = await fontverter.convert(await readFile(fontFile), 'sfnt')
  const buffer = new hb.Buffer()
  buffer.addText(text)
  buffer.guessSegmentProperties()
  hb.shape(new hb.Font(new hb.Face(new hb.Blob(bytes))), buffer)
  return buffer.getGlyphInfos().map((glyph) => glyph.codepoint)
}

/** The text poppler's pdftotext extracts, less the bidi embedding marks it puts around right-to-left words. */
export async function pdfText(bytes: Uint8Array): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'laurel-pdf-text-'))
  try {
    const file = join(folder, 'document.pdf')
    await writeFile(file, bytes)
    return (await run('pdftotext', ['-enc', 'UTF-8', file, '-'])).stdout.replace(/[\u202a-\u202e]/g, '')
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

/** The glyph codes every page's content streams draw (the renderers show glyphs as 4-digit hex strings in TJ arrays). */
export async function drawnGlyphCodes(bytes: Uint8Array): Promise<number[]> {
  const document = await PDFDocument.load(bytes)
  const codes: number[] = []
  for (const page of document.getPages()) {
    const contents = page.node.Contents()
    const streams = contents instanceof PDFArray ? contents.asArray().map((ref) => document.context.lookup(ref)) : [contents]
    for (const stream of streams) {
      if (!(stream instanceof PDFRawStream)) continue
      const operators = Buffer.from(decodePDFRawStream(stream).decode()).toString('latin1')
      for (const [shown] of operators.matchAll(/\[[^\]]*\] TJ/g))
        for (const match of shown.matchAll(/<([0-9A-Fa-f]{4})>/g)) codes.push(Number.parseInt(match[1] ?? '', 16))
    }
  }
  return codes
}
