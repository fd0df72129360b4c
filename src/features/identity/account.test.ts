import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eq } from 'drizzle-orm'
import { linkFromOutbox, newOrg, newPerson, strongPassword } from '../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../test/support/harness.ts'
import { apiKeys } from './schema.ts'
import { currentTotpCode } from './two-factor.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

describe('two-factor sign-in', () => {
  it('turns on with a code from the app, then asks for a code at sign-in; a recovery code works once', async () => {
    const person = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    const start = await client.submit('/account/security/totp/start', {})
    const secret = /id="totp-secret"[^>]*>([A-Z2-7]+)</.exec(start.body)?.[1]
    assert.ok(secret, 'the setup page shows the key')
    testApp.secrets.add(secret)
    const wrong = await client.submit('/account/security/totp/confirm', {
      code: '000000' === currentTotpCode(secret, testApp.clock.now()) ? '111111' : '000000',
    })
    assert.equal(wrong.statusCode, 422)
    const confirmed = await client.submit('/account/security/totp/confirm', { code: currentTotpCode(secret, testApp.clock.now()) })
    assert.equal(confirmed.statusCode, 200)
    const codes = /id="recovery-codes"[^>]*>([^<]+)</.exec(confirmed.body)?.[1]?.trim().split('\n') ?? []
    assert.equal(codes.length, 10)
    for (const code of codes) testApp.secrets.add(code)

    const second = testApp.client({ ip: '192.0.2.50' })
    const signIn = await second.submit('/sign-in', { email: person.email, password: person.password, next: '/account' })
    assert.equal(signIn.headers.location, '/sign-in/two-factor?next=%2Faccount')
    assert.equal((await second.get('/account')).statusCode, 302, 'no access before the second factor')
    const withCode = await second.submit('/sign-in/two-factor?next=%2Faccount', { code: currentTotpCode(secret, testApp.clock.now()) })
    assert.equal(withCode.headers.location, '/account')
    assert.equal((await second.get('/account')).statusCode, 200)

    const third = testApp.client({ ip: '192.0.2.51' })
    await third.submit('/sign-in', { email: person.email, password: person.password })
    const recovery = codes[0] ?? ''
    assert.equal((await third.submit('/sign-in/two-factor', { code: recovery })).statusCode, 302)
    const fourth = testApp.client({ ip: '192.0.2.52' })
    await fourth.submit('/sign-in', { email: person.email, password: person.password })
    assert.equal((await fourth.submit('/sign-in/two-factor', { code: recovery })).statusCode, 401, 'a recovery code works once')
  })
})

describe('login sessions', () => {
  it('lists my login sessions and signs out everywhere else', async () => {
    const person = await newPerson(testApp)
    const laptop = testApp.client({ ip: '192.0.2.60' })
    const phone = testApp.client({ ip: '192.0.2.61' })
    await laptop.signIn(person.email, person.password)
    await phone.signIn(person.email, person.password)
    const list = await laptop.get('/account/sessions')
    assert.match(list.body, /192\.0\.2\.61/)
    assert.match(textOf(list.body), /This browser/)
    await laptop.submit('/account/sessions/sign-out-others', {})
    assert.equal((await phone.get('/account')).statusCode, 302, 'the phone is signed out')
    assert.equal((await laptop.get('/account')).statusCode, 200, 'this browser stays signed in')
  })

  it('ends a login session after the idle timeout', async () => {
    const person = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    testApp.clock.advance(3 * 3600_000)
    assert.equal((await client.get('/account')).statusCode, 302)
  })
})

describe('password reset', () => {
  it('resets by emailed link, signs out every login session, and the old password stops working', async () => {
    const person = await newPerson(testApp)
    const signedIn = testApp.client()
    await signedIn.signIn(person.email, person.password)
    const client = testApp.client({ ip: '192.0.2.70' })
    await client.submit('/password/forgot', { email: person.email })
    const link = await linkFromOutbox(testApp, person.email, '/password/reset')
    const token = new URL(link, 'http://x').searchParams.get('token') ?? ''
    const newPassword = strongPassword()
    const reset = await client.submit('/password/reset', { token, password: newPassword })
    assert.equal(reset.statusCode, 302)
    assert.equal((await signedIn.get('/account')).statusCode, 302, 'existing login sessions are ended')
    assert.equal((await client.submit('/sign-in', { email: person.email, password: person.password })).statusCode, 401)
    await client.signIn(person.email, newPassword)
    const reused = await client.submit('/password/reset', { token, password: strongPassword() })
    assert.equal(reused.statusCode, 422, 'the link works once')
  })
})

describe('API keys', () => {
  it('shows a key once, stores only its hash, and lets it act in its org with its scope', async () => {
    const { org, owner } = await newOrg(testApp)
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const created = await client.submit('/account/api-keys', { name: 'Export script', orgId: org.id, scope: 'read' })
    assert.equal(created.statusCode, 201)
    const secret = /id="new-api-key"[^>]*>\s*(lrl_[\w-]+)/.exec(created.body)?.[1]
    assert.ok(secret)
    testApp.secrets.add(secret)
    const [stored] = await testApp.platform.db.select().from(apiKeys).where(eq(apiKeys.accountId, owner.account.id))
    assert.ok(stored && stored.keyHash !== secret && !JSON.stringify(stored).includes(secret))
    assert.doesNotMatch((await client.get('/account/api-keys')).body, new RegExp(secret))

    const auth = { authorization: `Bearer ${secret}` }
    const me = await testApp.app.inject({ url: '/api/v1/me', headers: auth })
    assert.equal(me.statusCode, 200)
    assert.equal(me.json().email, owner.email)
    const members = await testApp.app.inject({ url: `/api/v1/orgs/${org.id}/members`, headers: auth })
    assert.equal(members.json().total, 1)
    const write = await testApp.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${org.id}/invitations`,
      headers: auth,
      payload: { email: 'x@example.org', role: 'member' },
    })
    assert.equal(write.statusCode, 403)
    assert.equal(write.headers['content-type'], 'application/problem+json; charset=utf-8')
    assert.equal(write.json().code, 'read_only_api_key')

    await client.submit(`/account/api-keys/${stored.id}/revoke`, {})
    assert.equal((await testApp.app.inject({ url: '/api/v1/me', headers: auth })).statusCode, 401)
  })

  it('answers problem+json with what to fix for a bad request', async () => {
    const response = await testApp.app.inject({ url: '/api/v1/me', headers: { authorization: 'Basic abc' } })
    assert.equal(response.statusCode, 401)
    const problem = response.json()
    assert.equal(problem.status, 401)
    assert.match(problem.detail, /Bearer/)
  })
})
