import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { escapeHtml } from '@kitajs/html'
import { type CredentialRow, issueCredential } from '../../src/features/credentials/service.ts'
import { dirOf, LOCALES, type Locale } from '../../src/platform/i18n/locales.ts'
import { type MessageId, messagesFor } from '../../src/platform/i18n/messages.ts'
import { newIssuingOrg, newPerson, uniqueEmail } from '../support/factories.ts'
import { startTestApp, type TestApp } from '../support/harness.ts'

const run = promisify(execFile)

let testApp: TestApp
let issuing: Awaited<ReturnType<typeof newIssuingOrg>>
let credential: CredentialRow
let arabicCredential: CredentialRow
const arabicEmail = uniqueEmail('arabic')

before(async () => {
  testApp = await startTestApp()
  issuing = await newIssuingOrg(testApp)
  const issue = (recipientEmail: string, locale?: Locale) =>
    issueCredential(testApp.platform, issuing.scope, {
      achievementId: issuing.achievementId,
      recipientEmail,
      recipientName: 'Noor Haddad',
      result: { score: 91, passMark: 75 },
      locale,
    })
  credential = (await issue(uniqueEmail('holder'))).credential
  arabicCredential = (await issue(arabicEmail, 'ar')).credential
})
after(() => testApp.close())

/** Every message that must appear on a page, as the page writes it. */
function assertSays(html: string, locale: Locale, ids: MessageId[]) {
  const m = messagesFor(locale)
  assert.match(html, new RegExp(`<html lang="${locale}" dir="${dirOf(locale)}">`))
  for (const id of ids) assert.ok(html.includes(escapeHtml(m.t(id))), `${locale} page lacks ${id}: ${m.t(id)}`)
  if (locale !== 'en') {
    const english = messagesFor('en')
    // The navigation around <main> belongs to the layout, whose words are translated with the staff pages.
    const main = html.slice(html.indexOf('<main'), html.indexOf('</main>'))
    for (const id of ids.filter((one) => english.t(one) !== m.t(one)))
      assert.ok(!main.includes(escapeHtml(english.t(id))), `${locale} page still says ${id} in English`)
  }
}

describe('public pages in every language', () => {
  for (const locale of LOCALES) {
    it(`the credential page, its achievement and /verify render in ${locale}`, async () => {
      const client = testApp.client()
      const page = await client.get(`/credentials/${credential.id}?lang=${locale}`)
      assert.equal(page.statusCode, 200)
      assertSays(page.body, locale, ['credential.sentence.valid', 'credential.issuedOn', 'share.summary', 'credential.verifySignature', 'language.picker'])
      const m = messagesFor(locale)
      assert.ok(page.body.includes(escapeHtml(m.date(credential.validFrom))), 'the issue date is written in the page’s language')

      const achievement = await client.get(`/achievements/${issuing.achievementId}`)
      assertSays(achievement.body, locale, ['achievement.criteria'])

      const verify = await client.get(`/verify?id=${credential.id}`)
      assertSays(verify.body, locale, ['verify.title', 'verify.intro', 'verify.verdict.valid', 'verify.column.check', 'verify.check.signature'])
    })
  }

  it(`sign-up, sign-in, password reset, unlock and guardian confirmation render in every language`, async () => {
    const pages: [string, MessageId[]][] = [
      ['/sign-up', ['auth.signUp.heading', 'auth.field.name', 'auth.signUp.passwordHint', 'form.purposeLink']],
      ['/sign-in', ['auth.signIn.title', 'auth.signIn.keep', 'auth.signIn.forgot', 'auth.signIn.blocked']],
      ['/password/forgot', ['auth.forgot.heading', 'auth.forgot.submit']],
      ['/password/reset?token=x', ['auth.reset.title', 'auth.field.newPassword', 'auth.reset.hint']],
      ['/sign-in/unlock', ['auth.unlock.title', 'auth.unlock.intro']],
      ['/guardian/confirm?token=x', ['auth.guardian.confirmTitle', 'auth.guardian.confirmBody']],
    ]
    for (const locale of LOCALES) {
      for (const [path, ids] of pages) {
        const page = await testApp.client().get(`${path}${path.includes('?') ? '&' : '?'}lang=${locale}`)
        assert.equal(page.statusCode, 200, path)
        assertSays(page.body, locale, ids)
      }
    }
  })

  it('a failed sign-in explains itself in the page’s language, with the count of problems in its plural', async () => {
    const client = testApp.client()
    await client.get('/sign-in?lang=ar')
    const failed = await client.submit('/sign-in', { email: uniqueEmail('nobody'), password: 'not the password at all' })
    assert.equal(failed.statusCode, 401)
    const m = messagesFor('ar')
    assert.ok(failed.body.includes(escapeHtml(m.t('auth.signIn.wrong'))))
    assert.ok(failed.body.includes(escapeHtml(m.t('form.fixProblems', { count: 1 }))))
    assert.notEqual(m.t('form.fixProblems', { count: 1 }), m.t('form.fixProblems', { count: 2 }))
  })

  it('remembers a language picked with ?lang= for the visitor’s next pages, and the picker keeps the page’s query', async () => {
    const client = testApp.client()
    const page = await client.get(`/verify?id=${credential.id}&lang=de`)
    assert.ok(page.body.includes(`href="/verify?id=${credential.id}&lang=ja"`), /href="\/verify[^"]*lang=ja"/.exec(page.body)?.[0])
    assert.equal(client.cookie('laurel_lang'), 'de')
    assertSays((await client.get('/verify')).body, 'de', ['verify.title'])
  })

  it('speaks the browser’s language to a visitor who chose none, and English to one whose language it does not speak', async () => {
    const page = (acceptLanguage: string) => testApp.app.inject({ url: '/verify', headers: { 'accept-language': acceptLanguage } })
    assertSays((await page('ja-JP,ja;q=0.9,en;q=0.8')).body, 'ja', ['verify.title'])
    assertSays((await page('pt-BR')).body, 'en', ['verify.title'])
  })
})

describe('a credential issued in Arabic', () => {
  it('shows its public page in Arabic, right to left, to a visitor who chose no language', async () => {
    const page = await testApp.app.inject({ url: `/credentials/${arabicCredential.id}`, headers: { 'accept-language': 'en-GB,en;q=0.9' } })
    assertSays(page.body, 'ar', ['credential.sentence.valid', 'credential.issuedBy', 'share.summary'])
  })

  it('sends its email in Arabic, the HTML right to left', async () => {
    const [mail] = await testApp.platform.mailer.listOutbox(testApp.platform.db, { to: arabicEmail })
    assert.ok(mail)
    const m = messagesFor('ar')
    assert.equal(mail.subject, m.t('email.credential.subject', { achievementName: 'First Aid' }))
    assert.ok(mail.text.startsWith('مرحبًا Noor Haddad،'), mail.text.slice(0, 40))
    assert.ok(mail.text.includes(m.t('email.credential.unsubscribeText', { orgName: 'Test Org', url: '' }).trim()))
    assert.match(mail.html ?? '', /<html lang="ar" dir="rtl">/)
  })

  it('a visitor’s own choice still wins over the credential’s language', async () => {
    const page = await testApp.client().get(`/credentials/${arabicCredential.id}?lang=es`)
    assertSays(page.body, 'es', ['credential.sentence.valid'])
  })
})

describe('choosing languages', () => {
  it('a person’s preference from the Account page outranks the browser and the credential, and English is the default', async () => {
    const person = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    await client.get('/account')
    const saved = await client.submit('/account', { name: 'Test Person', locale: 'fr' })
    assert.equal(saved.statusCode, 302)
    assertSays((await client.get(`/credentials/${arabicCredential.id}`)).body, 'fr', ['credential.sentence.valid'])
    await client.submit('/account', { name: 'Test Person', locale: '' })
    assertSays((await client.get(`/credentials/${arabicCredential.id}`)).body, 'ar', ['credential.sentence.valid'])
    assert.equal((await client.submit('/account', { name: 'Test Person', locale: 'tlh' })).statusCode, 422)
  })

  it('a credential takes the org’s default language unless the issuer chose one, by form or API', async () => {
    const staff = testApp.client()
    await staff.signIn(issuing.owner.email, issuing.owner.password)
    await staff.get(`/orgs/${issuing.org.id}/settings`)
    const settings = await staff.submit(`/orgs/${issuing.org.id}/settings`, { name: 'Test Org', timeZone: 'UTC', defaultLocale: 'es' })
    assert.equal(settings.statusCode, 302)

    await staff.get(`/orgs/${issuing.org.id}/credentials/issue`)
    const byDefault = await staff.submit(`/orgs/${issuing.org.id}/credentials`, {
      achievementId: issuing.achievementId,
      recipientName: 'Ana Ruiz',
      recipientEmail: uniqueEmail('ana'),
    })
    const defaultPage = await testApp.client().get(String(byDefault.headers.location).replace(`/orgs/${issuing.org.id}`, ''))
    assertSays(defaultPage.body, 'es', ['credential.sentence.valid'])

    const api = await testApp.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${issuing.org.id}/credentials`,
      headers: { authorization: `Bearer ${issuing.apiKey}` },
      payload: { achievementId: issuing.achievementId, recipientName: 'Yui Sato', recipientEmail: uniqueEmail('yui'), locale: 'ja' },
    })
    assert.equal(api.statusCode, 201)
    assert.equal(api.json().locale, 'ja')
    const refused = await testApp.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${issuing.org.id}/credentials`,
      headers: { authorization: `Bearer ${issuing.apiKey}` },
      payload: { achievementId: issuing.achievementId, recipientName: 'X', recipientEmail: uniqueEmail('x'), locale: 'pt' },
    })
    assert.equal(refused.statusCode, 400)
  })

  it('prints the certificate’s fixed words in the credential’s language', async () => {
    const french = (
      await issueCredential(testApp.platform, issuing.scope, {
        achievementId: issuing.achievementId,
        recipientEmail: uniqueEmail('pdf'),
        recipientName: 'Élise Martin',
        locale: 'fr',
      })
    ).credential
    const pdf = await testApp.client().get(`/credentials/${french.id}.pdf`)
    assert.equal(pdf.statusCode, 200)
    const folder = await mkdtemp(join(tmpdir(), 'laurel-i18n-'))
    try {
      await writeFile(join(folder, 'certificate.pdf'), pdf.rawPayload)
      const text = (await run('pdftotext', ['-enc', 'UTF-8', join(folder, 'certificate.pdf'), '-'])).stdout
      const m = messagesFor('fr')
      for (const line of [m.t('certificate.certifiesThat'), m.t('certificate.hasEarned'), m.t('certificate.issuedOn', { date: m.date(french.validFrom) })])
        assert.ok(text.includes(line), `the PDF lacks "${line}"`)
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })
})
