import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import fontverter from 'fontverter'
import * as hb from 'harfbuzzjs'

export type Weight = 'regular' | 'bold'

/** A font file read and parsed once per process: its bytes (to subset) and its HarfBuzz font (to test coverage). */
export interface SourceFont {
  /** Stable name, e.g. "arabic-bold"; also names the embedded subset. */
  key: string
  bytes: Buffer
  font: hb.Font
}

const require = createRequire(import.meta.url)
const embedpdf = (pkg: string, file: string) => join(dirname(require.resolve(`@embedpdf/${pkg}`)), '..', 'fonts', file)
const fontsource = (pkg: string, file: string) => require.resolve(`@fontsource/${pkg}/files/${file}`)

/** Noto Emoji comes split by Unicode ranges into 12 files. */
const emojiFiles = (weight: number) =>
  [...Array.from({ length: 11 }, (_, i) => String(i)), 'emoji'].map((part) => fontsource('noto-emoji', `noto-emoji-${part}-${weight}-normal.woff`))

/**
 * The families text may be drawn in, in the order a character looks for a font that has it: Noto Sans
 * (Latin, Greek, Cyrillic, Devanagari), then the script fonts, then CJK, then the monochrome Noto Emoji. Japanese
 * text (text with kana) prefers the Japanese CJK font, whose ideographs have the Japanese forms.
 */
const FAMILIES = {
  latin: { regular: [embedpdf('fonts-latin', 'NotoSans-Regular.ttf')], bold: [embedpdf('fonts-latin', 'NotoSans-Bold.ttf')] },
  arabic: { regular: [embedpdf('fonts-arabic', 'NotoNaskhArabic-Regular.ttf')], bold: [embedpdf('fonts-arabic', 'NotoNaskhArabic-Bold.ttf')] },
  hebrew: { regular: [embedpdf('fonts-hebrew', 'NotoSansHebrew-Regular.ttf')], bold: [embedpdf('fonts-hebrew', 'NotoSansHebrew-Bold.ttf')] },
  thai: {
    regular: [fontsource('noto-sans-thai', 'noto-sans-thai-thai-400-normal.woff')],
    bold: [fontsource('noto-sans-thai', 'noto-sans-thai-thai-700-normal.woff')],
  },
  japanese: { regular: [embedpdf('fonts-jp', 'NotoSansJP-Regular.otf')], bold: [embedpdf('fonts-jp', 'NotoSansJP-Bold.otf')] },
  chinese: { regular: [embedpdf('fonts-sc', 'NotoSansHans-Regular.otf')], bold: [embedpdf('fonts-sc', 'NotoSansHans-Bold.otf')] },
  emoji: { regular: emojiFiles(400), bold: emojiFiles(700) },
} as const
type Family = keyof typeof FAMILIES

const ORDER: Family[] = ['latin', 'arabic', 'hebrew', 'thai', 'chinese', 'japanese', 'emoji']
const JAPANESE_ORDER: Family[] = ['latin', 'arabic', 'hebrew', 'thai', 'japanese', 'chinese', 'emoji']
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/u
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u

/** The families to try, in order, for the characters of `text`. */
const familiesFor = (text: string): readonly Family[] => (KANA.test(text) ? JAPANESE_ORDER : ORDER)

const loading = new Map<string, Promise<SourceFont[]>>()
const ready = new Map<string, SourceFont[]>()

/** The font files of a family, read and parsed on first use, then kept for the life of the process. */
function load(family: Family, weight: Weight): Promise<SourceFont[]> {
  const key = `${family}-${weight}`
  let fonts = loading.get(key)
  if (!fonts) {
    fonts = Promise.all(
      FAMILIES[family][weight].map(async (file, i, files) => {
        // WOFF files (from @fontsource) become plain OpenType: HarfBuzz and PDF readers take only that.
        const bytes = await fontverter.convert(await readFile(file), 'sfnt')
        return { key: files.length > 1 ? `${key}-${i}` : key, bytes, font: new hb.Font(new hb.Face(new hb.Blob(bytes))) }
      }),
    ).then((sources) => {
      ready.set(key, sources)
      return sources
    })
    loading.set(key, fonts)
  }
  return fonts
}

/** Whether `font` has a glyph for every character of `cluster` that shows (joiners and variation selectors aside). */
export function covers(font: hb.Font, cluster: string): boolean {
  for (const character of cluster) {
    if (IGNORABLE.test(character)) continue
    if (!font.nominalGlyph(character.codePointAt(0) ?? 0)) return false
  }
  return true
}

const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' })
export const graphemesOf = (text: string) => [...graphemes.segment(text)].map((segment) => segment.segment)

/** Reads the fonts `text` needs, so that `fontFor` can answer for it without waiting. */
export async function loadFontsFor(text: string, weight: Weight): Promise<void> {
  const families = familiesFor(text)
  for (const cluster of new Set(graphemesOf(text))) {
    for (const family of families) {
      if ((await load(family, weight)).some((source) => covers(source.font, cluster))) break
    }
  }
}

/** The first loaded font, in family order for `text`, that has every character of `cluster`, and that `usable` accepts. */
export function fontFor(text: string, cluster: string, weight: Weight, usable: (source: SourceFont) => boolean = () => true): SourceFont | undefined {
  for (const family of familiesFor(text)) {
    const source = ready.get(`${family}-${weight}`)?.find((each) => usable(each) && covers(each.font, cluster))
    if (source) return source
  }
  return undefined
}
