import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { newPerson } from '../../../test/support/factories.ts'
import { startTestApp, type TestApp } from '../../../test/support/harness.ts'
import { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, LOGIN_SESSION_COOKIE } from './login-sessions.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

async function signIn(fields: Record<string, string>) {
  const person = await newPerson(testApp)
  const client = testApp.client()
  const response = await client.submit('/sign-in', { email: person.email, password: person.password, next: '/', ...fields })
  assert.equal(response.statusCode, 302)
  const header = [response.headers['set-cookie'] ?? []].flat().find((cookie) => cookie.startsWith(`${LOGIN_SESSION_COOKIE}=`))
  assert.ok(header, 'the login-session cookie is set')
  return { client, header }
}

describe('the sign-in cookie', () => {
  it('ends when the browser closes unless "keep me signed in" is ticked', async () => {
    const { header } = await signIn({})
    assert.doesNotMatch(header, /max-age|expires/i, header)
    const kept = await signIn({ keepSignedIn: 'on' })
    assert.match(kept.header, new RegExp(`Max-Age=${ABSOLUTE_TIMEOUT_MS / 1000}\\b`))
  })

  it('offers the box, unticked', async () => {
    const page = await testApp.client().get('/sign-in')
    assert.match(page.body, /<input type="checkbox" name="keepSignedIn"\s*\/?>/)
  })

  it('either way, the login session ends on the server after the idle timeout', async () => {
    for (const fields of [{}, { keepSignedIn: 'on' }] as Record<string, string>[]) {
      const { client } = await signIn(fields)
      assert.equal((await client.get('/account')).statusCode, 200)
      testApp.clock.advance(IDLE_TIMEOUT_MS + 60_000)
      assert.equal((await client.get('/account')).statusCode, 302)
    }
  })
})
