import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { IntlMessageFormat } from 'intl-messageformat'
import { CATALOGUES } from './catalogues/index.ts'
import { LOCALES } from './locales.ts'
import { messagesFor } from './messages.ts'

type Element = { type: number; value?: string; children?: Element[]; options?: Record<string, { value: Element[] }> }

/** The argument and tag names a message uses, sorted: ICU's literal (0) and `#` (7) elements name nothing. */
function namesIn(elements: Element[], names = new Set<string>()): string[] {
  for (const element of elements) {
    if (element.type !== 0 && element.type !== 7 && element.value) names.add(element.type === 8 ? `<${element.value}>` : element.value)
    if (element.children) namesIn(element.children, names)
    for (const option of Object.values(element.options ?? {})) namesIn(option.value, names)
  }
  return [...names].sort()
}

const english = CATALOGUES.en

describe('message catalogues', () => {
  for (const locale of LOCALES) {
    it(`${locale} has exactly the English ids, each compiling with the same placeholders and tags`, () => {
      const catalogue = CATALOGUES[locale]
      assert.deepEqual(Object.keys(catalogue).sort(), Object.keys(english).sort())
      for (const [id, source] of Object.entries(english)) {
        const translated = catalogue[id as keyof typeof english]
        assert.ok(translated.trim() !== '', `${locale} ${id} is empty`)
        const ast = new IntlMessageFormat(translated, locale).getAst() as Element[]
        const englishAst = new IntlMessageFormat(source, 'en').getAst() as Element[]
        assert.deepEqual(namesIn(ast), namesIn(englishAst), `${locale} ${id} uses other placeholders than English`)
      }
    })
  }

  it('translates the words, not only copies English', () => {
    for (const locale of LOCALES.filter((one) => one !== 'en')) {
      const same = Object.entries(CATALOGUES[locale]).filter(([id, text]) => text === english[id as keyof typeof english] && /[a-z]{4}/.test(text))
      // Brand and product names (LinkedIn, HTML, Format, Status) may stay; whole sentences may not.
      assert.ok(
        same.every(([, text]) => !text.includes(' ')),
        `${locale} leaves English sentences: ${same.map(([id]) => id).join(', ')}`,
      )
    }
  })

  it('refuses to format a message without the values it names', () => {
    assert.throws(() => messagesFor('fr').t('credential.reasonGiven'), /reason/)
  })

  it('escapes values in HTML messages but renders their tags', () => {
    const html = messagesFor('en').html('credential.earned', { achievementName: '<script>' }, { strong: (text) => `<strong>${text}</strong>` })
    assert.equal(html, 'earned <strong>&#60;script&#62;</strong>')
  })

  it('formats dates, numbers and lists by the locale', () => {
    const date = new Date('2026-03-05T12:00:00Z')
    assert.equal(messagesFor('en').date(date), '5 March 2026')
    assert.equal(messagesFor('fr').date(date), '5 mars 2026')
    assert.equal(messagesFor('de').date(date), '5. März 2026')
    assert.equal(messagesFor('ja').date(date), '2026年3月5日')
    assert.equal(messagesFor('de').number(1234.5), '1.234,5')
    assert.equal(messagesFor('es').list(['a', 'b', 'c']), 'a, b y c')
  })
})
