import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { newOrg, newPerson, strongPassword, uniqueEmail } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { eraseSubject, exportSubject } from '../../../platform/privacy/registry.ts'
import { restrictProcessing } from '../../../platform/privacy/restrictions.ts'
import { findAccountByEmail } from '../../identity/service.ts'
import { CONSENT_WORDING, grantConsent, hasConsent, isProcessingLimited, listConsents, withdrawConsent } from './service.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? ''

describe('consent records', () => {
  it('grant keeps time, wording version and source; grant and withdraw are idempotent; history is kept', async () => {
    const { platform } = testApp
    const email = uniqueEmail()
    const target = { email, orgId: null, purpose: 'marketing' as const }
    assert.equal(await hasConsent(platform.db, target), false, 'marketing needs an opt-in')
    testApp.clock.advance(3_600_000)
    const granted = await grantConsent(platform, platform.db, { ...target, accountId: null, source: 'import' })
    assert.equal(granted.wordingVersion, CONSENT_WORDING.marketing.version)
    assert.equal(granted.source, 'import')
    assert.ok(Math.abs((granted.grantedAt?.getTime() ?? 0) - platform.clock.now().getTime()) < 5_000, 'granted at the platform clock’s time')
    assert.equal((await grantConsent(platform, platform.db, { ...target, accountId: null, source: 'api' })).id, granted.id)
    assert.ok(await hasConsent(platform.db, target))
    assert.equal(await withdrawConsent(platform, platform.db, { ...target, accountId: null, via: 'profile' }), true)
    assert.equal(await withdrawConsent(platform, platform.db, { ...target, accountId: null, via: 'profile' }), false)
    assert.equal(await hasConsent(platform.db, target), false)
    await grantConsent(platform, platform.db, { ...target, accountId: null, source: 'profile' })
    assert.ok(await hasConsent(platform.db, target))
    assert.equal((await listConsents(platform.db, [email])).length, 2, 'the withdrawn record stays as proof')
  })

  it('emails about credentials hold until withdrawn, per org', async () => {
    const { platform } = testApp
    const email = uniqueEmail()
    const [a, b] = [await newOrg(testApp), await newOrg(testApp)]
    const of = (orgId: string) => ({ email, orgId, purpose: 'credential_emails' as const })
    assert.ok(await hasConsent(platform.db, of(a.org.id)))
    await withdrawConsent(platform, platform.db, { ...of(a.org.id), accountId: null, via: 'unsubscribe_link' })
    assert.equal(await hasConsent(platform.db, of(a.org.id)), false)
    assert.ok(await hasConsent(platform.db, of(b.org.id)))
  })

  it('refuses marketing consent while processing is restricted', async () => {
    const { platform } = testApp
    const email = uniqueEmail()
    await restrictProcessing(platform.db, email, 'restriction')
    assert.ok(await isProcessingLimited(platform.db, email, platform.clock.now()))
    await assert.rejects(
      grantConsent(platform, platform.db, { email, orgId: null, purpose: 'marketing', accountId: null, source: 'api' }),
      /cannot receive marketing/,
    )
  })

  it('exports and erases the records', async () => {
    const { platform } = testApp
    const email = uniqueEmail()
    await grantConsent(platform, platform.db, { email, orgId: null, purpose: 'marketing', accountId: null, source: 'import' })
    const exported = JSON.stringify(await exportSubject(platform.db, platform.privacyProviders, { accountId: null, email }))
    assert.match(exported, /"purpose":"marketing"/)
    await eraseSubject(platform.db, platform.memo, platform.privacyProviders, { accountId: null, email })
    assert.deepEqual(await listConsents(platform.db, [email]), [])
  })
})

describe('opt-in at sign-up and on the profile', () => {
  it('the box is unticked by default; ticked at sign-up it records a consent from the sign-up form', async () => {
    const client = testApp.client()
    const page = await client.get('/sign-up')
    assert.match(page.body, /<input type="checkbox" name="marketing"\s*\/?>/, 'unticked')
    assert.ok(textOf(page.body).includes(CONSENT_WORDING.marketing.label))
    const ticked = uniqueEmail('ticked')
    const unticked = uniqueEmail('unticked')
    testApp.personalData.add(ticked)
    testApp.personalData.add(unticked)
    await client.submit('/sign-up', { name: 'Ticked', email: ticked, password: strongPassword(), marketing: 'on' })
    await client.submit('/sign-up', { name: 'Unticked', email: unticked, password: strongPassword() })
    const [record] = await listConsents(testApp.platform.db, [ticked])
    assert.equal(record?.source, 'sign_up')
    assert.equal(record?.accountId, (await findAccountByEmail(testApp.platform.db, ticked))?.id)
    assert.deepEqual(await listConsents(testApp.platform.db, [unticked]), [])
  })

  it('the profile shows the consent and changes it', async () => {
    const person = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    assert.match((await client.get('/account')).body, /<input type="checkbox" name="marketing"\s*\/?>/)
    await client.submit('/account', { name: 'Test Person', marketing: 'on' })
    const target = { email: person.email, orgId: null, purpose: 'marketing' as const }
    assert.ok(await hasConsent(testApp.platform.db, target))
    assert.match((await client.get('/account')).body, /name="marketing" checked/)
    await client.submit('/account', { name: 'Test Person' })
    assert.equal(await hasConsent(testApp.platform.db, target), false)
  })
})

describe('withdrawing each consent', () => {
  it('the consents page lists each consent with a withdraw button that works', async () => {
    const { platform } = testApp
    const person = await newPerson(testApp)
    const { org } = await newOrg(testApp, 'Consent Org')
    await grantConsent(platform, platform.db, { email: person.email, orgId: org.id, purpose: 'marketing', accountId: person.account.id, source: 'api' })
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    const page = await client.get('/account/privacy')
    assert.match(textOf(page.body), /News and offers \(marketing email\) Consent Org/)
    const withdrawn = await client.submit('/account/privacy/consents/withdraw', { purpose: 'marketing', orgId: org.id, email: person.email })
    assert.equal(withdrawn.statusCode, 302)
    assert.equal(await hasConsent(platform.db, { email: person.email, orgId: org.id, purpose: 'marketing' }), false)
    assert.match(textOf((await client.get('/account/privacy')).body), /You have given no consent that is in force/)
    const someoneElse = await client.submit('/account/privacy/consents/withdraw', { purpose: 'marketing', orgId: org.id, email: uniqueEmail() })
    assert.equal(someoneElse.statusCode, 422, 'only one’s own addresses')
  })

  it('GET, POST and DELETE /api/v1/me/consents', async () => {
    const person = await newPerson(testApp)
    const { org } = await newOrg(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    const csrf = csrfOf((await client.get('/account')).body)
    const json = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
      client.request({ method, url, payload, headers: { accept: 'application/json', 'x-csrf-token': csrf } })
    const created = await json('POST', '/api/v1/me/consents', { purpose: 'marketing', orgId: org.id })
    assert.equal(created.statusCode, 201, created.body)
    assert.equal(created.json().orgId, org.id)
    assert.equal(created.json().inForce, true)
    assert.equal(created.json().source, 'api')
    const listed = await json('GET', '/api/v1/me/consents')
    assert.equal(listed.json().length, 1)
    const deleted = await json('DELETE', `/api/v1/me/consents?purpose=marketing&orgId=${org.id}`)
    assert.deepEqual(deleted.json(), { withdrawn: true })
    assert.deepEqual((await json('DELETE', `/api/v1/me/consents?purpose=marketing&orgId=${org.id}`)).json(), { withdrawn: false })
    assert.equal((await json('GET', '/api/v1/me/consents')).json()[0].inForce, false)
    assert.equal((await testApp.app.inject({ method: 'GET', url: '/api/v1/me/consents' })).statusCode, 401)
  })
})
