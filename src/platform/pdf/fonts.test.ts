import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PDFDocument, rgb } from 'pdf-lib'
import { drawnGlyphCodes, pdfText } from '../../../test/support/pdf.ts'
import { FontSet } from './fonts.ts'

async function fontSetFor(...texts: string[]) {
  const document = await PDFDocument.create()
  const fonts = new FontSet()
  for (const text of texts) fonts.prepare(text, 'regular')
  await fonts.embed(document)
  return { document, fonts }
}

describe('FontSet', () => {
  it('lays out bidi text in visual order: a Latin word in an Arabic line sits left of the Arabic, whose glyphs run right to left', async () => {
    const { fonts } = await fontSetFor('محمد Ahmed', 'Ahmed محمد')
    const rtl = fonts.shape('محمد Ahmed', 'regular')
    assert.deepEqual(
      rtl.runs.map((run) => [run.text, run.rightToLeft]),
      [
        ['Ahmed', false],
        ['محمد ', true],
      ],
    )
    const ltr = fonts.shape('Ahmed محمد', 'regular')
    assert.deepEqual(
      ltr.runs.map((run) => [run.text, run.rightToLeft]),
      [
        ['Ahmed ', false],
        ['محمد', true],
      ],
    )
    const xs = (rtl.runs[1]?.glyphs ?? []).map((glyph) => glyph.x)
    assert.deepEqual(
      xs,
      [...xs].sort((a, b) => a - b),
      'glyphs are placed left to right',
    )
    assert.ok((rtl.runs[0]?.glyphs[0]?.x ?? 1) === 0 && rtl.width > 0)
  })

  it('mirrors brackets in right-to-left runs, even when the text holds only one of the pair', async () => {
    const { fonts } = await fontSetFor('(محمد')
    // Noto Naskh Arabic has no brackets: Noto Sans draws this one, in a right-to-left run of its own, right of the name.
    const runs = fonts.shape('(محمد', 'regular').runs
    assert.deepEqual(
      runs.map((run) => [run.text, run.rightToLeft]),
      [
        ['محمد', true],
        ['(', true],
      ],
    )
    const opening = runs[1]?.glyphs[0]
    assert.ok(opening)
    assert.equal(opening.glyph, opening.font.font.nominalGlyph(')'.codePointAt(0) ?? 0), 'the logical "(" is drawn as ")" at the right end')
  })

  it('leaves out characters no font has, and tells which, rather than drawing empty boxes', async () => {
    const { document, fonts } = await fontSetFor('A\u{10000}B\u{E000}')
    const line = fonts.shape('A\u{10000}B\u{E000}', 'regular')
    assert.equal(line.text, 'AB')
    assert.deepEqual([...fonts.dropped].sort(), ['\u{E000}', '\u{10000}'].sort())
    fonts.draw(document.addPage(), 'A\u{10000}B\u{E000}', { x: 10, y: 10, size: 12, weight: 'regular', color: rgb(0, 0, 0) })
    const bytes = await document.save()
    assert.deepEqual((await drawnGlyphCodes(bytes)).length, 2)
    assert.match(await pdfText(bytes), /^AB$/m)
  })

  it('measures and draws text it was not prepared with from the fonts already embedded, and refuses to work before embedding', async () => {
    const unembedded = new FontSet()
    unembedded.prepare('Zoë', 'regular')
    assert.throws(() => unembedded.widthOf('Zoë', 'regular', 10), /embedded/)
    const { fonts } = await fontSetFor('Zoë Ångström')
    assert.ok(fonts.widthOf('Zoë Å', 'regular', 10) > fonts.widthOf('Zoë', 'regular', 10))
    assert.equal(fonts.shape('Zoë…', 'regular').text, 'Zoë', 'a character outside the embedded subsets is left out')
    assert.equal(fonts.widthOf('Zoë', 'regular', 20), 2 * fonts.widthOf('Zoë', 'regular', 10))
  })
})
