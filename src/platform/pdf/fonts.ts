import bidiFactory from 'bidi-js'
import * as hb from 'harfbuzzjs'
import {
  beginText,
  type Color,
  endText,
  type PDFDocument,
  PDFHexString,
  PDFName,
  PDFOperator,
  PDFOperatorNames,
  type PDFPage,
  setFillingColor,
  setFontAndSize,
  setTextMatrix,
} from 'pdf-lib'
import { CidFont } from './cid-font.ts'
import { covers, fontFor, graphemesOf, loadFontsFor, type SourceFont, type Weight } from './sources.ts'

export { graphemesOf, type Weight } from './sources.ts'

// bidi-js's types declare an ES default export, but the package is CommonJS whose module.exports is the factory.
const bidi = (bidiFactory as unknown as typeof bidiFactory.default)()

/** A stretch of text in one font and one bidi embedding level; offsets are UTF-16 indices into the line's text. */
interface Run {
  source: SourceFont
  start: number
  end: number
  level: number
}

/** A glyph placed on a line, in thousandths of the font size. */
export interface PlacedGlyph {
  font: CidFont
  glyph: number
  x: number
  y: number
}

/** A run of a shaped line: its text in logical order and its glyphs in visual order. */
export interface PlacedRun {
  text: string
  rightToLeft: boolean
  glyphs: PlacedGlyph[]
}

/** A line shaped and laid out left to right in visual order. */
export interface ShapedLine {
  /** The text drawn: the input in NFC, less characters no font has. */
  text: string
  /** In thousandths of the font size. */
  width: number
  runs: PlacedRun[]
}

/**
 * The fonts of one PDF and the text drawn with them. Each line is split into runs by the font that has
 * its characters (Noto Sans, then Arabic, Hebrew, Devanagari, Thai, CJK and emoji fonts) and by bidi
 * level, shaped by HarfBuzz, and laid out in visual order, so right-to-left names read right. Each
 * font is subset once per document to the characters of the prepared text. Characters no font has
 * are left out (listed in `dropped`) rather than drawn as empty boxes.
 *
 * Call `prepare` with every string first, then `embed`, then `widthOf` and `draw`.
 */
export class FontSet {
  private readonly prepared: { text: string; weight: Weight }[] = []
  private readonly fonts = new Map<string, CidFont>()
  private readonly lines = new Map<string, ShapedLine>()
  private readonly names = new WeakMap<PDFPage, Map<CidFont, PDFName>>()
  /** One HarfBuzz buffer reused for every run: HarfBuzz memory is otherwise freed only when the GC gets to it. */
  private readonly buffer = new hb.Buffer()
  private embedded = false
  /** Characters left out because no font has them. */
  readonly dropped = new Set<string>()

  prepare(text: string, weight: Weight): void {
    if (this.embedded) throw new Error('Text must be prepared before the fonts are embedded.')
    this.prepared.push({ text: text.normalize('NFC'), weight })
  }

  async embed(document: PDFDocument): Promise<void> {
    for (const { text, weight } of this.prepared) await loadFontsFor(text, weight)
    const textOf = new Map<SourceFont, string>()
    for (const { text, weight } of this.prepared) {
      const { text: kept, runs } = this.itemize(text, weight)
      for (const run of runs) textOf.set(run.source, (textOf.get(run.source) ?? '') + withShaperCharacters(kept.slice(run.start, run.end)))
    }
    const sources = [...textOf.keys()].sort((a, b) => a.key.localeCompare(b.key))
    for (const source of sources) this.fonts.set(source.key, await CidFont.create(document.context, source, textOf.get(source) ?? ''))
    this.embedded = true
    for (const { text, weight } of this.prepared) this.shape(text, weight)
    for (const font of this.fonts.values()) font.write(document.context)
  }

  /** The width of `text` drawn at `size`. */
  widthOf(text: string, weight: Weight, size: number): number {
    return (this.shape(text, weight).width * size) / 1000
  }

  /** Draws `text` with its left edge at `x` and its baseline at `y`. */
  draw(page: PDFPage, text: string, options: { x: number; y: number; size: number; weight: Weight; color: Color }): void {
    const scale = options.size / 1000
    const operators: PDFOperator[] = []
    for (const run of this.shape(text, options.weight).runs) {
      // A left-to-right run carries its text in logical order, since a cluster's glyphs may come in
      // another order (Devanagari vowel signs) or stand for several characters. Text extractors
      // put right-to-left glyphs in logical order themselves, from the ToUnicode maps.
      if (!run.rightToLeft) {
        const properties = `<</ActualText ${PDFHexString.fromText(run.text).toString()}>>`
        operators.push(PDFOperator.of(PDFOperatorNames.BeginMarkedContentSequence, [PDFName.of('Span'), properties]))
      }
      operators.push(beginText(), setFillingColor(options.color))
      let current: CidFont | undefined
      for (const group of sameBaseline(run.glyphs)) {
        const [first] = group
        if (!first) continue
        if (first.font !== current) {
          operators.push(setFontAndSize(this.resourceName(page, first.font), options.size))
          current = first.font
        }
        // One TJ per stretch on a baseline: after each glyph the PDF moves by its width, and the number
        // after it (thousandths of the size, subtracted) corrects that to where HarfBuzz put the next glyph.
        const shown = group.map((glyph, i) => {
          const next = group[i + 1]
          const code = `<${glyph.font.codeOf(glyph.glyph).toString(16).padStart(4, '0')}>`
          const correction = next ? Math.round((glyph.font.widthOf(glyph.glyph) - (next.x - glyph.x)) * 100) / 100 : 0
          return correction === 0 ? code : `${code} ${correction}`
        })
        operators.push(
          setTextMatrix(1, 0, 0, 1, options.x + first.x * scale, options.y + first.y * scale),
          PDFOperator.of(PDFOperatorNames.ShowTextAdjusted, [`[${shown.join(' ')}]`]),
        )
      }
      operators.push(endText())
      if (!run.rightToLeft) operators.push(PDFOperator.of(PDFOperatorNames.EndMarkedContent))
    }
    page.pushOperators(...operators)
  }

  /** The name of a font in a page's resources, added on its first use on the page. */
  private resourceName(page: PDFPage, font: CidFont): PDFName {
    const names = this.names.get(page) ?? new Map<CidFont, PDFName>()
    this.names.set(page, names)
    let name = names.get(font)
    if (!name) {
      name = page.node.newFontDictionary(font.key, font.ref)
      names.set(font, name)
    }
    return name
  }

  /** The glyphs `text` is drawn with (for tests and layout). */
  shape(text: string, weight: Weight): ShapedLine {
    if (!this.embedded) throw new Error('The fonts must be embedded before text is measured or drawn.')
    const normalized = text.normalize('NFC')
    const key = `${weight}\u0000${normalized}`
    let line = this.lines.get(key)
    if (!line) {
      line = this.layOut(normalized, weight)
      this.lines.set(key, line)
    }
    return line
  }

  private layOut(text: string, weight: Weight): ShapedLine {
    const { text: kept, runs } = this.itemize(text, weight)
    const placed: PlacedRun[] = []
    let pen = 0
    for (const run of visualOrder(runs)) {
      const glyphs: PlacedGlyph[] = []
      const font = this.fonts.get(run.source.key)
      if (!font) throw new Error(`Text "${text}" was not prepared before embedding.`)
      const buffer = this.buffer
      buffer.reset()
      buffer.addText(kept, run.start, run.end - run.start)
      buffer.setDirection(run.level % 2 === 1 ? hb.Direction.RTL : hb.Direction.LTR)
      buffer.guessSegmentProperties()
      hb.shape(font.font, buffer)
      const shaped = buffer.getGlyphInfosAndPositions()
      const rightToLeft = run.level % 2 === 1
      const clusterEnds = [...new Set(shaped.map((glyph) => glyph.cluster)), run.end].sort((a, b) => a - b)
      const glyphsInCluster = new Map<number, number>()
      for (const glyph of shaped) glyphsInCluster.set(glyph.cluster, (glyphsInCluster.get(glyph.cluster) ?? 0) + 1)
      for (const glyph of shaped) {
        // A glyph alone in its cluster (a ligature such as lam-alef) stands for the cluster's text.
        // Extractors read right-to-left glyphs as drawn and reverse them, so such text is stored reversed.
        if (glyphsInCluster.get(glyph.cluster) === 1) {
          const text = kept.slice(glyph.cluster, clusterEnds.find((each) => each > glyph.cluster) ?? run.end)
          font.learn(glyph.codepoint, rightToLeft ? [...text].reverse().join('') : text)
        }
        glyphs.push({ font, glyph: glyph.codepoint, x: pen + (glyph.xOffset ?? 0) * font.scale, y: (glyph.yOffset ?? 0) * font.scale })
        pen += (glyph.xAdvance ?? 0) * font.scale
      }
      placed.push({ text: kept.slice(run.start, run.end), rightToLeft, glyphs })
    }
    return { text: kept, width: pen, runs: placed }
  }

  /**
   * Splits text into runs of one font and one bidi level. Spaces, digits and punctuation (the Common
   * script) stay in the font of the run they are in, so a run of Arabic words is shaped as one.
   */
  private itemize(text: string, weight: Weight): { text: string; runs: Run[] } {
    const clusters: { text: string; source: SourceFont; neutral: boolean }[] = []
    // Once embedded, only the document's subsets can draw, and only the characters they hold.
    const usable = (source: SourceFont, cluster: string) => {
      const subset = this.fonts.get(source.key)
      return covers(source.font, cluster) && (!this.embedded || (subset !== undefined && covers(subset.font, cluster)))
    }
    for (const cluster of graphemesOf(text)) {
      const previous = clusters[clusters.length - 1]?.source
      const neutral = NEUTRAL.test(cluster)
      const source = neutral && previous && usable(previous, cluster) ? previous : fontFor(text, cluster, weight, (each) => usable(each, cluster))
      if (source) clusters.push({ text: cluster, source, neutral })
      else this.dropped.add(cluster)
    }
    // Neutrals that open the text (a bracket, a quote) take the font of what follows, as one run with it.
    const firstStrong = clusters.find((cluster) => !cluster.neutral)
    for (const cluster of clusters) {
      if (!cluster.neutral || !firstStrong) break
      if (usable(firstStrong.source, cluster.text)) cluster.source = firstStrong.source
    }
    const kept = clusters.map((cluster) => cluster.text).join('')
    const { levels } = bidi.getEmbeddingLevels(kept, 'auto')
    const runs: Run[] = []
    let offset = 0
    for (const cluster of clusters) {
      const level = levels[offset] ?? 0
      const last = runs[runs.length - 1]
      if (last && last.source === cluster.source && last.level === level) last.end += cluster.text.length
      else runs.push({ source: cluster.source, start: offset, end: offset + cluster.text.length, level })
      offset += cluster.text.length
    }
    return { text: kept, runs }
  }
}

const NEUTRAL = /^[\p{Script=Common}\p{Script=Inherited}]+$/u

/** The characters of `texts` that no font has, which PDFs leave out (as U+ code points and the characters). */
export async function charactersWithoutFont(texts: string[]): Promise<string[]> {
  const missing = new Set<string>()
  for (const text of texts.map((each) => each.normalize('NFC'))) {
    await loadFontsFor(text, 'regular')
    for (const cluster of graphemesOf(text)) if (!fontFor(text, cluster, 'regular')) missing.add(cluster)
  }
  return [...missing]
}

/** How a left-out character is named in notes and logs: its code points, which say what it is without quoting the text. */
export const codePointsOf = (character: string) =>
  [...character].map((each) => `U+${(each.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`).join(' ')

/**
 * The text with the characters HarfBuzz may put in its place while shaping, which a subset must hold
 * too: decompositions, mirrored brackets (in right-to-left runs), Thai and Lao SARA AM split into
 * NIKHAHIT and SARA AA, and the dotted circle that carries a mark with no base.
 */
function withShaperCharacters(text: string): string {
  const mirrored = [...text].map((character) => bidi.getMirroredCharacter(character) ?? '').join('')
  const saraAm = `${text.includes('\u0e33') ? '\u0e4d\u0e32' : ''}${text.includes('\u0eb3') ? '\u0ecd\u0eb2' : ''}`
  return `${text}${text.normalize('NFD')}${mirrored}${saraAm}\u25cc`
}

/** Glyphs split where the font or the baseline changes (a mark raised or lowered by HarfBuzz). */
function sameBaseline(glyphs: PlacedGlyph[]): PlacedGlyph[][] {
  const groups: PlacedGlyph[][] = []
  for (const glyph of glyphs) {
    const group = groups[groups.length - 1]
    const last = group?.[group.length - 1]
    if (group && last && last.font === glyph.font && last.y === glyph.y) group.push(glyph)
    else groups.push([glyph])
  }
  return groups
}

/** Runs in display order (rule L2 of the Unicode bidi algorithm): from the highest level down to the lowest odd one, reverse every stretch at that level or above. */
function visualOrder(runs: Run[]): Run[] {
  const order = [...runs]
  const levels = runs.map((run) => run.level)
  const lowestOdd = Math.min(...levels.filter((level) => level % 2 === 1))
  for (let level = Math.max(...levels); level >= lowestOdd; level--) {
    for (let start = 0; start < order.length; start++) {
      if ((order[start]?.level ?? 0) < level) continue
      let end = start
      while (end + 1 < order.length && (order[end + 1]?.level ?? 0) >= level) end++
      order.splice(start, end - start + 1, ...order.slice(start, end + 1).reverse())
      start = end
    }
  }
  return order
}
