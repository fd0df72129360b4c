import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eq, sql } from 'drizzle-orm'
import { linkFromOutbox, newPerson, strongPassword, uniqueEmail } from '../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../test/support/harness.ts'
import { auditEntries } from '../../platform/audit/schema.ts'
import { LOGIN_SESSION_COOKIE } from './login-sessions.ts'
import { PAIR_BLOCK_FAILURES, PAIR_FREE_FAILURES } from './sign-in.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

describe('sign-up and sign-in', () => {
  it('signs up, verifies the email from the outbox link, and signs in', async () => {
    const client = testApp.client()
    const email = uniqueEmail('newcomer')
    const password = strongPassword()
    const signUp = await client.submit('/sign-up', { name: 'New Comer', email, password })
    assert.equal(signUp.statusCode, 200)
    assert.match(textOf(signUp.body), /Check your email/)

    const unverified = await client.submit('/sign-in', { email, password, next: '/' })
    assert.equal(unverified.statusCode, 401)
    assert.match(textOf(unverified.body), /Confirm your email address first/)

    const verify = await client.get(await linkFromOutbox(testApp, email, '/verify-email'))
    assert.equal(verify.statusCode, 302)
    await client.signIn(email, password)
    const home = await client.get('/orgs')
    assert.equal(home.statusCode, 200)
    assert.match(textOf(home.body), /You are not in any organisation yet/)
  })

  it('refuses short and common passwords with a message saying what to fix', async () => {
    const client = testApp.client()
    const short = await client.submit('/sign-up', { name: 'Short', email: uniqueEmail(), password: 'abc123' })
    assert.equal(short.statusCode, 422)
    assert.match(textOf(short.body), /at least 12 characters/)
    const common = await client.submit('/sign-up', { name: 'Common', email: uniqueEmail(), password: 'qwerty123456' })
    assert.equal(common.statusCode, 422)
    assert.match(textOf(common.body), /most commonly used/)
  })

  it('gives the same answer when the email already has an account, and tells its owner', async () => {
    const person = await newPerson(testApp)
    const response = await testApp.client().submit('/sign-up', { name: 'Someone', email: person.email, password: strongPassword() })
    assert.equal(response.statusCode, 200)
    assert.match(textOf(response.body), /Check your email/)
    const messages = await testApp.platform.mailer.listOutbox(testApp.platform.db, { to: person.email })
    assert.equal(messages[0]?.subject, 'Someone tried to sign up with your email')
  })

  it('sets the login-session cookie HttpOnly and SameSite=Lax, and stores only its hash', async () => {
    const person = await newPerson(testApp)
    const client = testApp.client()
    const response = await client.signIn(person.email, person.password)
    const cookie = (response.cookies as { name: string; value: string; httpOnly?: boolean; sameSite?: string; secure?: boolean }[]).find(
      (candidate) => candidate.name === LOGIN_SESSION_COOKIE,
    )
    assert.ok(cookie)
    testApp.secrets.add(cookie.value)
    assert.equal(cookie.httpOnly, true)
    assert.equal(cookie.sameSite, 'Lax')
    assert.notEqual(cookie.secure, true, 'plain http keeps Secure off')
    const stored = await testApp.platform.db.execute(sql`select token_hash from login_sessions where account_id = ${person.account.id}`)
    assert.ok(stored.rows.length > 0)
    for (const row of stored.rows) assert.notEqual(row.token_hash, cookie.value)
  })

  it('rejects a form posted without a CSRF token', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: 'email=a%40example.org&password=whatever-password',
    })
    assert.equal(response.statusCode, 403)
    assert.doesNotMatch(response.body, /at .*\.ts:\d+/, 'no stack trace')
  })
})

describe('sign-in throttling', () => {
  it('delays, then blocks one (account, address) pair while the same account signs in from elsewhere', async () => {
    const person = await newPerson(testApp)
    const attacker = testApp.client({ ip: '198.51.100.66' })
    const statuses: number[] = []
    for (let attempt = 0; attempt < PAIR_BLOCK_FAILURES * 3 && statuses.at(-1) !== 423; attempt++) {
      const response = await attacker.submit('/sign-in', { email: person.email, password: `wrong-password-${attempt}` })
      statuses.push(response.statusCode)
      if (response.statusCode === 429) {
        assert.ok(Number(response.headers['retry-after']) > 0)
        testApp.clock.advance(Number(response.headers['retry-after']) * 1000)
      }
    }
    assert.deepEqual(statuses.slice(0, PAIR_FREE_FAILURES), Array(PAIR_FREE_FAILURES).fill(401), 'the first failures answer plainly')
    assert.ok(statuses.includes(429), 'then come delays')
    assert.equal(statuses.at(-1), 423, 'then the pair is blocked')
    assert.equal(statuses.filter((status) => status === 401).length, PAIR_BLOCK_FAILURES - 1, 'blocked at the configured number of failures')
    const rightPasswordFromAttacker = await attacker.submit('/sign-in', { email: person.email, password: person.password })
    assert.equal(rightPasswordFromAttacker.statusCode, 423, 'the right password does not pass a blocked pair')

    await testApp.client({ ip: '192.0.2.7' }).signIn(person.email, person.password)

    await testApp.platform.audit.flush()
    const attempts = await testApp.platform.db
      .select()
      .from(auditEntries)
      .where(sql`${auditEntries.action} = 'identity.sign_in' and ${auditEntries.actorAccountId} = ${person.account.id}`)
    const results = attempts.map((entry) => `${entry.ip}:${(entry.data as { result: string }).result}`)
    assert.equal(results.filter((result) => result.startsWith('198.51.100.66:')).length, statuses.length + 1, 'every attempt is audited')
    assert.ok(results.includes('192.0.2.7:success'))
    assert.ok(results.includes('198.51.100.66:blocked'))
    assert.ok(results.includes('198.51.100.66:throttled'))
  })

  it('lets the owner unlock a blocked pair with the emailed link', async () => {
    const person = await newPerson(testApp)
    const attacker = testApp.client({ ip: '198.51.100.77' })
    for (let attempt = 0; attempt < PAIR_BLOCK_FAILURES * 2; attempt++) {
      const response = await attacker.submit('/sign-in', { email: person.email, password: 'not-the-password-at-all' })
      if (response.statusCode === 423) break
      testApp.clock.advance(20 * 60_000)
    }
    const unlock = await linkFromOutbox(testApp, person.email, '/unlock')
    const token = new URL(unlock, 'http://x').searchParams.get('token') ?? ''
    const unlocked = await attacker.submit('/unlock', { token })
    assert.equal(unlocked.statusCode, 302)
    await attacker.signIn(person.email, person.password)
    const [row] = await testApp.platform.db.select().from(auditEntries).where(eq(auditEntries.action, 'identity.sign_in_unlocked'))
    assert.ok(row)
  })
})
