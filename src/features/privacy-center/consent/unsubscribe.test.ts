/**
 * Bulk and marketing email through a real SMTP exchange: the headers of RFC 2369 / RFC 8058 and the
 * visible link, then a one-click POST to the List-Unsubscribe URL as a mail client sends it.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { newIssuingOrg, newPerson, uniqueEmail } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { mailParts, type ReceivedMail, startSmtpServer, type TestSmtpServer } from '../../../../test/support/smtp.ts'
import { restrictProcessing } from '../../../platform/privacy/restrictions.ts'
import { issueCredential } from '../../credentials/service.ts'
import { grantConsent, hasConsent, sendMarketingMail, unsubscribeToken } from './service.ts'

let testApp: TestApp
let smtp: TestSmtpServer

before(async () => {
  smtp = await startSmtpServer()
  testApp = await startTestApp({ worker: true, env: { SMTP_URL: smtp.url } })
})
after(async () => {
  await testApp.close()
  await smtp.close()
})

/** The message's top-level headers, unfolded, by lower-case name. */
function headersOf(mail: ReceivedMail): Map<string, string> {
  const head = mail.raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? ''
  const headers = new Map<string, string>()
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':')
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return headers
}

/** The https/http URL inside List-Unsubscribe, checked against RFC 8058's shape, as a path. */
function unsubscribePath(mail: ReceivedMail): string {
  const headers = headersOf(mail)
  assert.equal(headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click')
  const match = /^<(https?:\/\/[^>]+)>/.exec(headers.get('list-unsubscribe') ?? '')
  assert.ok(match?.[1], `List-Unsubscribe names a URL: ${headers.get('list-unsubscribe')}`)
  const url = new URL(match[1])
  testApp.secrets.add(url.pathname.split('/').pop() ?? '')
  const body = mailParts(mail.raw)
    .map((part) => part.body)
    .join('\n')
  assert.ok(body.includes(match[1]), 'the body shows the same unsubscribe link')
  return url.pathname
}

/** A POST as a mail client's one-click sends it: no cookies, no CSRF token, no Origin or Sec-Fetch-Site. */
const oneClick = (path: string) =>
  testApp.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'List-Unsubscribe=One-Click',
  })

describe('marketing email', () => {
  it('goes only to people who consented and are not restricted, with one-click unsubscribe that needs no sign-in', async () => {
    const { platform } = testApp
    const { org } = await newIssuingOrg(testApp)
    const [agreed, silent, restricted] = [uniqueEmail('agreed'), uniqueEmail('silent'), uniqueEmail('restricted')]
    await grantConsent(platform, platform.db, { email: agreed, accountId: null, orgId: org.id, purpose: 'marketing', source: 'import' })
    await grantConsent(platform, platform.db, { email: restricted, accountId: null, orgId: org.id, purpose: 'marketing', source: 'import' })
    await restrictProcessing(platform.db, restricted, 'objection')
    const target = { email: agreed, orgId: org.id, purpose: 'marketing' as const }

    const result = await sendMarketingMail(platform, platform.db, {
      orgId: org.id,
      senderName: 'Northwind',
      subject: 'New courses',
      text: 'Spring courses are open.',
      recipients: [agreed, silent, restricted],
    })
    assert.deepEqual(result.sent, [agreed])
    assert.deepEqual(result.skipped.sort(), [restricted, silent].sort())
    const path = unsubscribePath(await smtp.waitForMail(agreed))

    const page = await testApp.app.inject({ method: 'GET', url: path })
    assert.equal(page.statusCode, 200)
    assert.match(textOf(page.body), /Stop News and offers from Test Org/)
    assert.ok(await hasConsent(platform.db, target), 'opening the link (as a mail scanner does) withdraws nothing')

    const first = await oneClick(path)
    assert.equal(first.statusCode, 200, first.body.slice(0, 300))
    assert.equal(await hasConsent(platform.db, target), false)
    assert.equal((await oneClick(path)).statusCode, 200, 'a second click is harmless')
    assert.equal(await hasConsent(platform.db, target), false)

    const again = await sendMarketingMail(platform, platform.db, { orgId: org.id, senderName: 'N', subject: 's', text: 't', recipients: [agreed] })
    assert.deepEqual(again.sent, [], 'no marketing after unsubscribing')
  })

  it('a forged or altered token changes nothing and says why', async () => {
    const { platform } = testApp
    const { org } = await newIssuingOrg(testApp)
    const email = uniqueEmail()
    const other = uniqueEmail()
    await grantConsent(platform, platform.db, { email, accountId: null, orgId: org.id, purpose: 'marketing', source: 'api' })
    await grantConsent(platform, platform.db, { email: other, accountId: null, orgId: org.id, purpose: 'marketing', source: 'api' })
    const token = unsubscribeToken(platform, { email, orgId: org.id, purpose: 'marketing' })
    const [payload = '', mac = ''] = token.split('.')
    const otherPayload = Buffer.from(JSON.stringify([other, 'marketing', org.id])).toString('base64url')
    for (const bad of [`${otherPayload}.${mac}`, `${payload}.${mac.slice(0, -2)}AA`, payload, `${payload}.${mac}.x`, 'nonsense']) {
      const response = await oneClick(`/unsubscribe/${bad}`)
      assert.equal(response.statusCode, 400, bad)
      assert.match(textOf(response.body), /unsubscribe link is not valid/)
      assert.equal((await testApp.app.inject({ method: 'GET', url: `/unsubscribe/${bad}` })).statusCode, 400)
    }
    assert.ok(await hasConsent(platform.db, { email, orgId: org.id, purpose: 'marketing' }))
    assert.ok(await hasConsent(platform.db, { email: other, orgId: org.id, purpose: 'marketing' }))
  })

  it('is refused for a cross-site POST to any other route, while the one-click route takes it', async () => {
    const crossSite = { 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' }
    const signOut = await testApp.app.inject({ method: 'POST', url: '/sign-out', headers: crossSite, payload: '' })
    assert.equal(signOut.statusCode, 403)
    const { platform } = testApp
    const { org } = await newIssuingOrg(testApp)
    const email = uniqueEmail()
    await grantConsent(platform, platform.db, { email, accountId: null, orgId: org.id, purpose: 'marketing', source: 'api' })
    const token = unsubscribeToken(platform, { email, orgId: org.id, purpose: 'marketing' })
    const response = await testApp.app.inject({ method: 'POST', url: `/unsubscribe/${token}`, headers: crossSite, payload: 'List-Unsubscribe=One-Click' })
    assert.equal(response.statusCode, 200)
    assert.equal(await hasConsent(platform.db, { email, orgId: org.id, purpose: 'marketing' }), false)
  })
})

describe('credential emails', () => {
  it('carry List-Unsubscribe; unsubscribing stops that org’s credential emails only', async () => {
    const { platform } = testApp
    const first = await newIssuingOrg(testApp)
    const second = await newIssuingOrg(testApp)
    const holder = await newPerson(testApp)
    const issue = (scope: typeof first.scope, achievementId: string) =>
      issueCredential(platform, scope, { achievementId, recipientEmail: holder.email, recipientName: 'Holder' })
    await issue(first.scope, first.achievementId)
    const mail = await smtp.waitForMail(holder.email)
    const response = await oneClick(unsubscribePath(mail))
    assert.equal(response.statusCode, 200)

    smtp.received.length = 0
    await issue(first.scope, first.achievementId)
    await issue(second.scope, second.achievementId)
    const fromSecond = await smtp.waitForMail(holder.email)
    const token = unsubscribePath(fromSecond).split('/').pop() ?? ''
    const named = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'))
    assert.deepEqual(named, [holder.email, 'credential_emails', second.org.id])
    const messages = await platform.mailer.listOutbox(platform.db, { to: holder.email })
    assert.deepEqual(
      messages.map((message) => message.subject),
      ['Your credential: First Aid', 'Your credential: First Aid'],
      'three issued, two emailed: the first org’s second credential was not',
    )
    assert.equal(smtp.received.length, 1)
  })
})
