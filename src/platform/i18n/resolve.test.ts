import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { dirOf } from './locales.ts'
import { bestAcceptedLocale, resolveLocale } from './resolve.ts'

describe('resolveLocale', () => {
  const all = { chosen: 'fr', account: 'de', pageDefault: 'ja', acceptLanguage: 'es' }

  it('takes an explicit choice first, then the person’s preference, the page’s default, the browser’s languages and English', () => {
    assert.equal(resolveLocale(all), 'fr')
    assert.equal(resolveLocale({ ...all, chosen: undefined }), 'de')
    assert.equal(resolveLocale({ ...all, chosen: undefined, account: null }), 'ja')
    assert.equal(resolveLocale({ acceptLanguage: 'es' }), 'es')
    assert.equal(resolveLocale({}), 'en')
  })

  it('skips what it does not speak at every step', () => {
    assert.equal(resolveLocale({ chosen: 'xx', account: 'klingon', pageDefault: '', acceptLanguage: 'pt-BR, ar;q=0.5' }), 'ar')
  })
})

describe('bestAcceptedLocale', () => {
  it('ranks by quality, then by order, and reads regional tags as their language', () => {
    assert.equal(bestAcceptedLocale('pt-BR, fr-CA;q=0.8, de;q=0.9'), 'de')
    assert.equal(bestAcceptedLocale('ja-JP,ja;q=0.9,en;q=0.8'), 'ja')
    assert.equal(bestAcceptedLocale('es;q=0.5, fr;q=0.5'), 'es')
  })

  it('ignores refused languages and unknown ones', () => {
    assert.equal(bestAcceptedLocale('fr;q=0, it'), undefined)
    assert.equal(bestAcceptedLocale(''), undefined)
  })
})

describe('dirOf', () => {
  it('writes Arabic right to left and the others left to right', () => {
    assert.equal(dirOf('ar'), 'rtl')
    assert.equal(dirOf('ja'), 'ltr')
  })
})
