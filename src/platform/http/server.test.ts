import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'drizzle-orm'
import { newPerson } from '../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../test/support/harness.ts'
import { setPlatformAdmin } from '../../features/identity/service.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp({ worker: true })
})
after(() => testApp.close())

describe('http baseline', () => {
  it('sends a strict Content-Security-Policy and the other security headers', async () => {
    const response = await testApp.client().get('/sign-in')
    const csp = String(response.headers['content-security-policy'])
    assert.match(csp, /script-src 'self'/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
    assert.equal(response.headers['x-content-type-options'], 'nosniff')
    assert.equal(response.headers['referrer-policy'], 'same-origin', 'so browsers without Sec-Fetch-Site send our own origin with our forms')
    assert.doesNotMatch(response.body, /<script>|<script [^>]*>[^<]/, 'no inline script')
  })

  it('allows the API docs their one inline style by its hash, and otherwise the same policy', async () => {
    const page = String((await testApp.client().get('/sign-in')).headers['content-security-policy'])
    const docs = String((await testApp.app.inject({ url: '/api/docs' })).headers['content-security-policy'])
    assert.doesNotMatch(page, /sha256/)
    assert.match(docs, /style-src 'self' 'sha256-[\w+/=]+'(;|$)/)
    assert.equal(docs.replace(/ 'sha256-[\w+/=]+'/, ''), page)
  })

  it('answers unknown paths with a 404 page for browsers and problem+json for the API', async () => {
    const page = await testApp.client().get('/no/such/page')
    assert.equal(page.statusCode, 404)
    assert.match(textOf(page.body), /Not found/)
    const api = await testApp.app.inject({ url: '/api/v1/nothing-here' })
    assert.equal(api.statusCode, 404)
    assert.equal(api.headers['content-type'], 'application/problem+json; charset=utf-8')
    assert.equal(api.json().status, 404)
  })

  it('reports invalid API input as 400 problem+json naming the field', async () => {
    const person = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    const response = await client.request({ method: 'GET', url: '/api/v1/orgs/org_x/members?page=0', headers: { accept: 'application/json' } })
    assert.equal(response.statusCode, 400)
    assert.ok(response.json().errors.some((error: { field: string }) => error.field.includes('page')))
  })

  it('limits the size of request bodies', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `email=${'a'.repeat(300 * 1024)}`,
    })
    assert.equal(response.statusCode, 413)
  })

  it('serves liveness, readiness and the OpenAPI document', async () => {
    assert.equal((await testApp.app.inject({ url: '/health' })).json().status, 'ok')
    assert.deepEqual((await testApp.app.inject({ url: '/ready' })).json(), { status: 'ready', database: 'ok', jobs: 'ok' })
    const openapi = (await testApp.app.inject({ url: '/api/docs/json' })).json()
    assert.ok(openapi.paths['/api/v1/orgs/{orgId}/members'])
    assert.equal((await testApp.app.inject({ url: '/api/docs' })).statusCode < 400, true)
  })

  it('is not ready while a table the app needs is missing, though the database still answers', async () => {
    await testApp.platform.db.execute(sql`alter table accounts rename to accounts_away`)
    try {
      const response = await testApp.app.inject({ url: '/ready' })
      assert.equal(response.statusCode, 503)
      assert.equal(response.json().database, 'unreachable')
    } finally {
      await testApp.platform.db.execute(sql`alter table accounts_away rename to accounts`)
    }
    assert.equal((await testApp.app.inject({ url: '/ready' })).statusCode, 200)
  })

  it('keeps the outbox and key rotation to platform admins, and shows rotation progress live', async () => {
    const person = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    assert.equal((await client.get('/admin/outbox')).statusCode, 403)
    await setPlatformAdmin(testApp.platform, person.email, true)
    assert.equal((await client.get('/admin/outbox')).statusCode, 200)
    const rotate = await client.submit('/admin/keys/rotate', {})
    const jobPath = String(rotate.headers.location)
    assert.match(jobPath, /^\/jobs\//)
    let fragment = ''
    for (let attempt = 0; attempt < 100 && !fragment.includes('data-state="completed"'); attempt++) {
      fragment = (await client.get(`${jobPath}/progress`)).body
      if (!fragment.includes('data-state="completed"')) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.match(fragment, /data-state="completed"/)
    assert.match(fragment, /<progress value="100"/)
    assert.doesNotMatch(fragment, /hx-trigger/, 'polling stops when the job ends')
    const stranger = await newPerson(testApp)
    const strangerClient = testApp.client()
    await strangerClient.signIn(stranger.email, stranger.password)
    assert.equal((await strangerClient.get(jobPath)).statusCode, 404, "another person's job is not found")
  })

  it('lets a platform admin verify the audit log against its checkpoint', async () => {
    const person = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    await setPlatformAdmin(testApp.platform, person.email, true)
    const verify = await client.submit('/admin/audit/verify', {})
    assert.equal(verify.headers.location, '/admin')
    assert.match(textOf((await client.get('/admin')).body), /The audit chain is intact: \d+ entries checked, including #\d+ of the checkpoint of/)
  })

  it('shows a plain 500 page without a stack trace when something breaks', async () => {
    const broken = await startTestApp()
    try {
      const person = await newPerson(broken)
      const client = broken.client()
      await client.signIn(person.email, person.password)
      await broken.platform.db.execute(sql`drop table members`)
      const response = await client.get('/orgs')
      assert.equal(response.statusCode, 500)
      assert.match(textOf(response.body), /An unexpected error occurred/)
      assert.doesNotMatch(response.body, /\.ts:\d+|at async|Error:/)
    } finally {
      await broken.close()
    }
  })
})
