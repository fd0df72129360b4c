/**
 * The cookie inventory is complete: every page and API route the app registers is visited, signed out and
 * signed in (as the owner of an org with one of everything), with a few form posts that set cookies of
 * their own; every cookie any response sets must be declared in COOKIE_INVENTORY, and every declared
 * cookie is essential, which is why Laurel shows no cookie banner. A new route is visited the moment it
 * is added; a route with a parameter this test has no value for fails it.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eq } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import { issueBulkJob } from '../../src/features/credentials/jobs.ts'
import { statusLists } from '../../src/features/credentials/schema.ts'
import { COOKIE_INVENTORY, unsubscribeToken } from '../../src/features/privacy-center/consent/service.ts'
import { startTestApp, type TestApp } from '../support/harness.ts'
import { seedOrgWithOneOfEverything } from '../support/seed.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
  await testApp.platform.jobs.start()
})
after(() => testApp.close())

const declared = new Set(COOKIE_INVENTORY.map((cookie) => cookie.name))

describe('cookie inventory', () => {
  it('declares every cookie that any page sets, and only essential ones', async () => {
    const { platform } = testApp
    const { owner, ids } = await seedOrgWithOneOfEverything(testApp, 'Cookies')
    const orgId = ids.orgId ?? ''
    const [statusList] = await platform.db.select({ id: statusLists.id }).from(statusLists).where(eq(statusLists.orgId, orgId))
    const values: Record<string, string> = {
      ...ids,
      issuerOrgId: orgId,
      hostOrgId: orgId,
      statusListId: statusList?.id ?? '',
      jobId: await platform.jobs.enqueue(platform.db, issueBulkJob, { orgId, bulkIssuanceId: ids.bulkIssuanceId ?? '' }, { orgId }),
      token: unsubscribeToken(platform, { email: 'someone@example.org', orgId, purpose: 'marketing' }),
    }
    const fill = (url: string) =>
      url.replace(/:(\w+)/g, (_match, name: string) => {
        assert.ok(values[name], `The cookie test has no value for :${name} in ${url}; add one.`)
        return values[name] ?? ''
      })

    const seen = new Map<string, string>()
    const note = (response: LightMyRequestResponse, what: string) => {
      for (const cookie of response.cookies as { name: string }[]) if (!seen.has(cookie.name)) seen.set(cookie.name, what)
    }
    const signedOut = testApp.client()
    const signedIn = testApp.client()
    note(await signedIn.submit('/sign-in', { email: owner.email, password: owner.password, next: '/' }), 'POST /sign-in')
    note(await signedIn.submit('/sign-in', { email: owner.email, password: owner.password, next: '/', keepSignedIn: 'on' }), 'POST /sign-in (kept)')

    const pages = testApp.app.routeTable.filter((route) => route.method === 'GET' && !route.url.includes('*'))
    assert.ok(pages.length > 80, `only ${pages.length} GET routes found`)
    for (const route of pages) {
      const url = fill(route.url)
      for (const client of [signedOut, signedIn]) note(await client.get(url), `GET ${route.url}`)
    }
    note(await signedOut.submit(`/unsubscribe/${values.token}`, {}), 'POST /unsubscribe/:token')
    note(await signedIn.submit('/account', { name: 'Org Owner' }), 'POST /account')
    note(await signedIn.submit('/sign-out', {}), 'POST /sign-out')

    const undeclared = [...seen].filter(([name]) => !declared.has(name)).map(([name, where]) => `${name} (set by ${where})`)
    assert.deepEqual(undeclared, [], 'add these cookies to src/features/privacy-center/consent/cookie-inventory.ts, with purpose and lifetime')
    for (const name of ['laurel_session', 'laurel_csrf', 'laurel_flash', 'laurel_org']) assert.ok(seen.has(name), `${name} was seen`)
  })

  it('each declared cookie says what it is for and how long it lives', () => {
    for (const cookie of COOKIE_INVENTORY) {
      assert.equal(cookie.essential, true, `${cookie.name} is essential, or Laurel would need a consent banner`)
      assert.ok(cookie.purpose.length > 20 && cookie.lifetime.length > 5, cookie.name)
    }
  })
})
