import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { drawnGlyphCodes, pdfText, SCRIPT_NAMES, shapedGlyphs } from '../../../../test/support/pdf.ts'
import { DEFAULT_DESIGN } from './design.ts'
import { type CertificateContent, renderCertificate } from './render.ts'

const content = (recipientName: string, achievementName = 'Certified Safety Officer'): CertificateContent => ({
  recipientName,
  achievementName,
  locale: 'en',
  issuerName: 'Northwind Certification Board',
  validFrom: new Date('2026-03-01T00:00:00Z'),
  validUntil: null,
  credentialId: 'cred_scripts',
  url: 'https://laurel.example/credentials/cred_scripts',
})

describe('PDF certificates in every script', () => {
  it('draws each name with every glyph HarfBuzz shapes it into, none a missing-glyph box, and pdftotext reads it back', async () => {
    const withoutName = await drawnGlyphCodes(await renderCertificate(content(''), DEFAULT_DESIGN))
    for (const { script, name, fonts } of SCRIPT_NAMES) {
      const bytes = await renderCertificate(content(name), DEFAULT_DESIGN)
      const drawn = await drawnGlyphCodes(bytes)
      assert.ok(!drawn.includes(0), `${script}: no .notdef glyph is drawn`)
      const shaped = await shapedGlyphs(name, fonts.bold)
      assert.ok(!shaped.includes(0), `${script}: the font has every character of ${name}`)
      assert.equal(drawn.length - withoutName.length, shaped.length, `${script}: ${name} is drawn with ${shaped.length} glyphs`)
      const lines = (await pdfText(bytes)).split('\n')
      assert.ok(lines.includes(name), `${script}: "${name}" is a line of the extracted text:\n${lines.join('\n')}`)
    }
  })

  it('lays out a name mixing Latin and Arabic, and an Arabic title, so that they read right', async () => {
    const bytes = await renderCertificate(content('Layla ليلى', 'شهادة السلامة'), DEFAULT_DESIGN)
    const text = await pdfText(bytes)
    assert.match(text, /^Layla ليلى$/m)
    assert.match(text, /^شهادة السلامة$/m)
    assert.ok(!(await drawnGlyphCodes(bytes)).includes(0))
  })

  it('draws emoji from the emoji font and leaves out characters no font has, with no empty boxes', async () => {
    const bytes = await renderCertificate(content('Zoë 🎓 \u{10000}'), DEFAULT_DESIGN)
    const text = await pdfText(bytes)
    assert.match(text, /^Zoë 🎓 $/m)
    assert.ok(!(await drawnGlyphCodes(bytes)).includes(0))
  })
})
