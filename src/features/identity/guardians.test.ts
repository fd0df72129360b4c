import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { and, eq } from 'drizzle-orm'
import { linkFromOutbox, newIssuingOrg, newPerson, strongPassword, uniqueEmail } from '../../../test/support/factories.ts'
import { startTestApp, type TestApp, type TestClient, textOf } from '../../../test/support/harness.ts'
import { hashToken } from '../../platform/crypto/hashing.ts'
import { eraseSubject, exportSubject } from '../../platform/privacy/registry.ts'
import { flushCredentialEvents } from '../credentials/analytics/analytics.ts'
import { credentialEvents } from '../credentials/schema.ts'
import { issueCredential } from '../credentials/service.ts'
import { grantConsent, isProcessingLimited, listConsents, sendMarketingMail } from '../privacy-center/consent/service.ts'
import { ageOn, birthDateProblem, guardianOf, isChildAccountEmail, isGuardianOf } from './guardians.ts'
import { guardianLinks } from './schema.ts'
import { findAccountByEmail } from './service.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

/** A birth date `years` years before the platform clock's today. */
function bornYearsAgo(years: number): string {
  const now = testApp.clock.now()
  return `${now.getUTCFullYear() - years}-01-01`
}

async function signUpChild(options: { marketing?: boolean } = {}) {
  const email = uniqueEmail('child')
  const guardianEmail = uniqueEmail('guardian')
  const password = strongPassword()
  testApp.personalData.add(email)
  testApp.personalData.add(guardianEmail)
  const client = testApp.client()
  const response = await client.submit('/sign-up', {
    name: 'Young Person',
    email,
    password,
    birthDate: bornYearsAgo(10),
    guardianEmail,
    ...(options.marketing ? { marketing: 'on' } : {}),
  })
  assert.equal(response.statusCode, 200, textOf(response.body).slice(0, 300))
  await client.get(await linkFromOutbox(testApp, email, '/verify-email'))
  const account = await findAccountByEmail(testApp.platform.db, email)
  assert.ok(account)
  return { client, email, guardianEmail, password, account }
}

const trySignIn = (client: TestClient, email: string, password: string) => client.submit('/sign-in', { email, password, next: '/' })

async function confirmAsGuardian(guardianEmail: string) {
  const path = await linkFromOutbox(testApp, guardianEmail, '/guardian/confirm')
  const guardian = testApp.client()
  const page = await guardian.get(path)
  assert.match(textOf(page.body), /confirm the account/)
  return guardian.submit('/guardian/confirm', { token: new URL(path, 'http://x').searchParams.get('token') ?? '' })
}

describe('date of birth', () => {
  it('is optional, and refused when in the future, absurd or not a date', async () => {
    const now = new Date('2026-12-07T12:00:00Z')
    assert.equal(birthDateProblem('2001-04-23', now), undefined)
    assert.match(birthDateProblem('2027-01-01', now) ?? '', /future/)
    assert.match(birthDateProblem('1850-01-01', now) ?? '', /after 1900/)
    assert.match(birthDateProblem('2020-02-30', now) ?? '', /YYYY-MM-DD/)
    assert.match(birthDateProblem('23/04/2001', now) ?? '', /YYYY-MM-DD/)
    assert.equal(ageOn('2013-12-08', now), 12)
    assert.equal(ageOn('2013-12-07', now), 13)

    const client = testApp.client()
    const future = await client.submit('/sign-up', { name: 'F', email: uniqueEmail(), password: strongPassword(), birthDate: '2999-01-01' })
    assert.equal(future.statusCode, 422)
    assert.match(textOf(future.body), /cannot be in the future/)
    const adult = uniqueEmail()
    testApp.personalData.add(adult)
    const ok = await client.submit('/sign-up', { name: 'A', email: adult, password: strongPassword(), birthDate: bornYearsAgo(30) })
    assert.equal(ok.statusCode, 200)
    assert.equal((await findAccountByEmail(testApp.platform.db, adult))?.birthDate, bornYearsAgo(30))
  })

  it('under 13, sign-up asks for a parent’s or guardian’s address', async () => {
    const response = await testApp.client().submit('/sign-up', { name: 'Y', email: uniqueEmail(), password: strongPassword(), birthDate: bornYearsAgo(10) })
    assert.equal(response.statusCode, 422)
    assert.match(textOf(response.body), /enter the email address of a parent or guardian/)
  })
})

describe('a child’s account', () => {
  it('stays closed until the guardian confirms by the emailed link; the link works once', async () => {
    const { client, email, guardianEmail, password, account } = await signUpChild()
    const waiting = await trySignIn(client, email, password)
    assert.equal(waiting.statusCode, 403)
    assert.match(textOf(waiting.body), /Waiting for your parent or guardian/)
    assert.equal(await isGuardianOf(testApp.platform.db, guardianEmail, account.id), false, 'not before confirming')

    const confirmed = await confirmAsGuardian(guardianEmail)
    assert.equal(confirmed.statusCode, 200)
    assert.match(textOf(confirmed.body), /the account is confirmed/)
    assert.equal((await trySignIn(client, email, password)).statusCode, 302)

    const again = await confirmAsGuardian(guardianEmail)
    assert.equal(again.statusCode, 409)
    assert.match(textOf(again.body), /already used/)
    const guardian = await guardianOf(testApp.platform.db, account.id)
    assert.equal(guardian?.email, guardianEmail)
    assert.ok(guardian?.confirmedAt)
    assert.ok(await isGuardianOf(testApp.platform.db, guardianEmail.toUpperCase(), account.id))
    assert.equal(await isGuardianOf(testApp.platform.db, uniqueEmail(), account.id), false)
  })

  it('keeps only a hash of the link; an expired link is refused, and the child signing in sends a new one', async () => {
    const { client, email, guardianEmail, password, account } = await signUpChild()
    const first = await linkFromOutbox(testApp, guardianEmail, '/guardian/confirm')
    const token = new URL(first, 'http://x').searchParams.get('token') ?? ''
    const [row] = await testApp.platform.db.select().from(guardianLinks).where(eq(guardianLinks.childAccountId, account.id))
    assert.equal(row?.tokenHash, hashToken(token))
    testApp.clock.advance(8 * 24 * 3600_000)
    const expired = await testApp.client().submit('/guardian/confirm', { token })
    assert.equal(expired.statusCode, 422)
    assert.match(textOf(expired.body), /expired/)
    assert.equal((await trySignIn(client, email, password)).statusCode, 403)
    const second = await linkFromOutbox(testApp, guardianEmail, '/guardian/confirm')
    assert.notEqual(second, first)
    assert.equal((await confirmAsGuardian(guardianEmail)).statusCode, 200)
    assert.equal((await trySignIn(client, email, password)).statusCode, 302)
  })

  it('an unknown link changes nothing', async () => {
    const response = await testApp.client().submit('/guardian/confirm', { token: 'x'.repeat(30) })
    assert.equal(response.statusCode, 422)
    assert.match(textOf(response.body), /not valid/)
  })

  it('gets no marketing and no analytics', async () => {
    const { platform } = testApp
    const { email, account } = await signUpChild({ marketing: true })
    assert.deepEqual(await listConsents(platform.db, [email]), [], 'the ticked box is not recorded for a child')
    await assert.rejects(grantConsent(platform, platform.db, { email, orgId: null, purpose: 'marketing', accountId: account.id, source: 'api' }), /child/)
    assert.ok(await isChildAccountEmail(platform.db, email, platform.clock.now()))
    assert.ok(await isProcessingLimited(platform.db, email, platform.clock.now()))
    const sent = await sendMarketingMail(platform, platform.db, { orgId: null, senderName: 'Laurel', subject: 's', text: 't', recipients: [email] })
    assert.deepEqual(sent.sent, [])
    const adult = await newPerson(testApp)
    assert.equal(await isChildAccountEmail(platform.db, adult.email, platform.clock.now()), false)

    // Views of a child's credential are not counted; an adult's are.
    const issuing = await newIssuingOrg(testApp)
    const viewsOf = async (recipientEmail: string) => {
      const { credential } = await issueCredential(platform, issuing.scope, { achievementId: issuing.achievementId, recipientEmail, recipientName: 'Holder' })
      await testApp.client().get(`/credentials/${credential.id}`)
      await flushCredentialEvents(platform)
      const where = and(eq(credentialEvents.credentialId, credential.id), eq(credentialEvents.kind, 'page_viewed'))
      return (await platform.db.select().from(credentialEvents).where(where)).length
    }
    assert.equal(await viewsOf(email), 0, 'no analytics of a child’s credential')
    assert.equal(await viewsOf(adult.email), 1, 'an adult’s credential view is counted')
  })

  it('a birth date given later on the profile closes the account until a guardian confirms', async () => {
    const person = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    const missing = await client.submit('/account', { name: 'Test Person', birthDate: bornYearsAgo(9) })
    assert.equal(missing.statusCode, 422)
    assert.match(textOf(missing.body), /parent or guardian/)
    const guardianEmail = uniqueEmail('guardian')
    testApp.personalData.add(guardianEmail)
    const saved = await client.submit('/account', { name: 'Test Person', birthDate: bornYearsAgo(9), guardianEmail })
    assert.match(textOf(saved.body), /Waiting for your parent or guardian/)
    assert.equal((await client.get('/account')).statusCode, 302, 'signed out')
    assert.equal((await trySignIn(client, person.email, person.password)).statusCode, 403)
    await confirmAsGuardian(guardianEmail)
    assert.equal((await trySignIn(client, person.email, person.password)).statusCode, 302)
  })

  it('exports the birth date and the guardian, and erasure removes the link', async () => {
    const { platform } = testApp
    const { email, guardianEmail, account } = await signUpChild()
    const exported = JSON.stringify(await exportSubject(platform.db, platform.privacyProviders, { accountId: account.id, email }))
    assert.ok(exported.includes(bornYearsAgo(10)))
    assert.ok(exported.includes(guardianEmail))
    const asGuardian = JSON.stringify(await exportSubject(platform.db, platform.privacyProviders, { accountId: null, email: guardianEmail }))
    assert.ok(asGuardian.includes(account.id), 'the guardian’s export names the child they were asked to confirm')
    await eraseSubject(platform.db, platform.memo, platform.privacyProviders, { accountId: account.id, email })
    assert.equal(await guardianOf(platform.db, account.id), undefined)
  })
})
