import { createHash } from 'node:crypto'
import fontkit from '@pdf-lib/fontkit'
import * as hb from 'harfbuzzjs'
import { type PDFContext, PDFHexString, type PDFRef, PDFString } from 'pdf-lib'
import subsetFont from 'subset-font'
import type { SourceFont } from './sources.ts'

/**
 * One font of one PDF: a HarfBuzz subset of a source font holding the glyphs of the document's text
 * (with their contextual forms and ligatures), embedded as a Type0 font with Identity-H encoding, so
 * content streams name glyphs directly. Text is shaped with the subset itself, so glyph IDs need no
 * mapping. A ToUnicode CMap maps each glyph back to its characters for text extraction.
 */
export class CidFont {
  readonly font: hb.Font
  private readonly face: hb.Face
  readonly ref: PDFRef
  /** Units of the font per 1000 units of text space. */
  readonly scale: number
  private readonly unicode = new Map<number, string>()

  private constructor(
    readonly key: string,
    private readonly bytes: Uint8Array,
    /** The code a glyph is written with: its glyph ID, or in a CID-keyed CFF font, its CID (the charset maps CIDs to glyphs). */
    readonly codeOf: (glyph: number) => number,
    private readonly isCff: boolean,
    context: PDFContext,
  ) {
    this.face = new hb.Face(new hb.Blob(bytes))
    this.font = new hb.Font(this.face)
    this.scale = 1000 / this.face.upem
    this.ref = context.nextRef()
    for (const codePoint of this.face.collectUnicodes()) {
      const glyph = this.font.nominalGlyph(codePoint)
      if (glyph && !this.unicode.has(glyph)) this.unicode.set(glyph, String.fromCodePoint(codePoint))
    }
  }

  static async create(context: PDFContext, source: SourceFont, text: string): Promise<CidFont> {
    const bytes = await subsetOf(source, text)
    const cff = (fontkit.create(Buffer.from(bytes)) as unknown as { 'CFF '?: CffTable })['CFF ']
    const cids = cff?.isCIDFont ? cidsOf(cff.topDict.charset) : undefined
    return new CidFont(source.key, bytes, (glyph) => (cids ? (cids[glyph] ?? 0) : glyph), Boolean(cff), context)
  }

  /** A glyph's advance as the PDF's width array gives it, in thousandths of the font size. */
  widthOf(glyph: number): number {
    return Math.round(this.font.glyphHAdvance(glyph) * this.scale)
  }

  /** Remembers the text a glyph stands for (a ligature or contextual form the font's cmap does not name). */
  learn(glyph: number, text: string): void {
    if (!this.unicode.has(glyph) && text !== '') this.unicode.set(glyph, text)
  }

  /** Writes the font's objects into the document; call once, after every `learn`. */
  write(context: PDFContext): void {
    // PDF names a subset font "TAG+Name"; the tag comes from the content, so the bytes stay the same for the same text.
    const tag = [...createHash('sha256').update(this.bytes).digest().subarray(0, 6)].map((byte) => String.fromCharCode(65 + (byte % 26))).join('')
    const name = `${tag}+Noto-${this.key}`
    const head = this.face.referenceTable('head')
    const view = head ? new DataView(head.buffer, head.byteOffset, head.byteLength) : undefined
    const bbox = view ? [36, 38, 40, 42].map((offset) => Math.round(view.getInt16(offset) * this.scale)) : [0, -300, 1000, 1000]
    const extents = this.font.hExtents()
    // CFF outlines go in bare (as pdf-lib does), where a CID-keyed font's charset maps the CIDs written to its glyphs.
    const cffTable = this.isCff ? this.face.referenceTable('CFF ') : undefined
    const fontFile = cffTable ? context.flateStream(cffTable, { Subtype: 'CIDFontType0C' }) : context.flateStream(this.bytes, { Length1: this.bytes.length })
    const descriptor = context.obj({
      Type: 'FontDescriptor',
      FontName: name,
      Flags: 4,
      FontBBox: bbox,
      ItalicAngle: 0,
      Ascent: Math.round(extents.ascender * this.scale),
      Descent: Math.round(extents.descender * this.scale),
      CapHeight: Math.round(extents.ascender * this.scale),
      StemV: 80,
      [this.isCff ? 'FontFile3' : 'FontFile2']: context.register(fontFile),
    })
    const glyphCount = this.glyphCount()
    const widths = Array.from({ length: glyphCount }, (_, glyph) => ({
      code: this.codeOf(glyph),
      width: this.widthOf(glyph),
    }))
      .sort((a, b) => a.code - b.code)
      .flatMap(({ code, width }) => [code, [width]])
    const descendant = context.obj({
      Type: 'Font',
      Subtype: this.isCff ? 'CIDFontType0' : 'CIDFontType2',
      BaseFont: name,
      CIDSystemInfo: { Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 },
      FontDescriptor: context.register(descriptor),
      W: widths,
      ...(this.isCff ? {} : { CIDToGIDMap: 'Identity' }),
    })
    const toUnicode = context.flateStream(this.toUnicodeCMap())
    context.assign(
      this.ref,
      context.obj({
        Type: 'Font',
        Subtype: 'Type0',
        BaseFont: name,
        Encoding: 'Identity-H',
        DescendantFonts: [context.register(descendant)],
        ToUnicode: context.register(toUnicode),
      }),
    )
  }

  private glyphCount(): number {
    const maxp = this.face.referenceTable('maxp')
    return maxp ? new DataView(maxp.buffer, maxp.byteOffset, maxp.byteLength).getUint16(4) : 1
  }

  private toUnicodeCMap(): string {
    const hex = (code: number) => code.toString(16).padStart(4, '0')
    const entries = [...this.unicode]
      .map(([glyph, text]) => [this.codeOf(glyph), text] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([code, text]) => `<${hex(code)}> <${PDFHexString.fromText(text).asString().slice(4)}>`)
    const blocks: string[] = []
    for (let i = 0; i < entries.length; i += 100) {
      const block = entries.slice(i, i + 100)
      blocks.push(`${block.length} beginbfchar\n${block.join('\n')}\nendbfchar`)
    }
    return [
      '/CIDInit /ProcSet findresource begin',
      '12 dict begin',
      'begincmap',
      '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def',
      '/CMapName /Adobe-Identity-UCS def',
      '/CMapType 2 def',
      '1 begincodespacerange',
      '<0000> <ffff>',
      'endcodespacerange',
      ...blocks,
      'endcmap',
      'CMapName currentdict /CMap defineresource pop',
      'end',
      'end',
    ].join('\n')
  }
}

/** Recent subsets by font and characters: the same certificate rendered again (a CJK subset takes ~40 ms) reuses its fonts. */
const subsets = new Map<string, Promise<Uint8Array>>()
const SUBSETS_KEPT = 64

function subsetOf(source: SourceFont, text: string): Promise<Uint8Array> {
  const characters = [...new Set(text)].sort().join('')
  const key = `${source.key}\u0000${characters}`
  let subset = subsets.get(key)
  if (subset) subsets.delete(key)
  else subset = subsetFont(source.bytes, characters, { targetFormat: 'sfnt' }).then((bytes) => new Uint8Array(bytes))
  subsets.set(key, subset)
  subset.catch(() => subsets.delete(key))
  for (const oldest of subsets.keys()) {
    if (subsets.size <= SUBSETS_KEPT) break
    subsets.delete(oldest)
  }
  return subset
}

interface CffTable {
  isCIDFont: boolean
  topDict: { charset: { version: 0; glyphs: number[] } | { version: 1 | 2; ranges: { first: number; nLeft: number }[] } }
}

/** The CID of each glyph of a CID-keyed CFF font, from its charset (glyph 0, .notdef, is CID 0). */
function cidsOf(charset: CffTable['topDict']['charset']): number[] {
  if (charset.version === 0) return [0, ...charset.glyphs]
  const cids = [0]
  for (const range of charset.ranges) for (let i = 0; i <= range.nLeft; i++) cids.push(range.first + i)
  return cids
}
