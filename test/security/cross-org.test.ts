import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { newOrg } from '../support/factories.ts'
import { startTestApp, type TestApp } from '../support/harness.ts'
import { seedOrgWithOneOfEverything } from '../support/seed.ts'

/**
 * Calls every route that has an :orgId parameter, as a member of org A, with org B's IDs: each must
 * answer 404, as if B's things did not exist; the same call with A's own IDs must not, so a route
 * that answered 404 to everyone would fail. Routes are read from the app, so a new route is
 * covered the moment it is added; a route with a parameter this test has no value for fails it.
 */
let testApp: TestApp
let orgRoutes: { method: string; url: string }[]
let otherOrgIds: Record<string, string> = {}

before(async () => {
  testApp = await startTestApp()
  // Confirming a bulk issuance enqueues a job inside its transaction; the queue must be running before that.
  await testApp.platform.jobs.start()
  otherOrgIds = (await seedOrg('B')).ids
  orgRoutes = testApp.app.routeTable.filter((route) => route.url.includes(':orgId'))
})
after(() => testApp.close())

/** An org with one of every thing an org-scoped route takes an ID of; its owner signs in with an API key too. */
const seedOrg = (label: string) => seedOrgWithOneOfEverything(testApp, label)

function fill(url: string, values: Record<string, string>): string {
  return url.replace(/:(\w+)/g, (_match, name: string) => {
    const value = values[name]
    assert.ok(value, `The cross-org test has no value for :${name} in ${url}; add one.`)
    return value
  })
}

/** Form bodies that would do something, were the IDs in them and in the path the caller's. */
const plausibleBody = (ids: Record<string, string>) => ({
  email: 'someone@example.org',
  role: 'member',
  name: 'Someone',
  timeZone: 'UTC',
  token: 'x'.repeat(20),
  reason: 'cross-org test',
  achievementId: ids.achievementId ?? '',
  recipientName: 'X',
  recipientEmail: 'x@example.org',
  description: 'd',
  criteria: 'c',
})

const BREACH_ELEMENT_FIELDS = ['whatHappened', 'measuresTaken', 'whatPeopleCanDo', 'contactInfo', 'protectionMeasures', 'advice', 'cureSteps', 'cureTimeframe']

/** JSON API bodies must pass their schema (checked before the org scope) to reach the 404. */
const plausibleApiBody = (ids: Record<string, string>) => ({
  ...plausibleBody(ids),
  examId: ids.examId,
  roomId: ids.roomId,
  start: '2099-01-01T09:00',
  ids: [ids.examSessionId],
  results: [{ email: 'someone@example.org', score: 1 }],
  action: 'send_for_approval',
  erasurePolicy: 'keep_record',
  didMethod: 'key',
  cryptosuite: 'eddsa-rdfc-2022',
  title: 'Incident',
  dataCategories: ['credentials.credentials'],
  ...Object.fromEntries(BREACH_ELEMENT_FIELDS.map((field) => [field, 'x'])),
  retentionDays: {},
})

describe('tenant isolation', () => {
  it('finds org-scoped routes to check', () => {
    assert.ok(orgRoutes.length >= 15, `only ${orgRoutes.length} org-scoped routes found`)
    // The testing-portal pages take portal session IDs in the form body, not the path; a fix naming another org's exam session is checked in portal/interactive.test.ts.
    for (const url of [
      '/orgs/:orgId/portal',
      '/orgs/:orgId/portal/reconcile/fix',
      '/orgs/:orgId/exam-sessions/:examSessionId/portal/create',
      '/api/v1/orgs/:orgId/exam-sessions/confirm',
      '/api/v1/orgs/:orgId/exam-sessions/:examSessionId/results',
    ]) {
      assert.ok(
        orgRoutes.some((route) => route.url === url),
        url,
      )
    }
  })

  const cases = [
    { routes: 'page', isApi: false, useApiKey: false },
    { routes: 'API', isApi: true, useApiKey: false },
    { routes: 'API', isApi: true, useApiKey: true },
  ]
  for (const { routes, isApi, useApiKey } of cases) {
    const via = useApiKey ? 'an API key' : 'a login session'
    it(`answers 404 for another org's IDs on every org-scoped ${routes} route, and serves the caller's own org, through ${via}`, async () => {
      const own = await seedOrg('A')
      const client = testApp.client()
      if (!useApiKey) await client.signIn(own.owner.email, own.owner.password)
      const call = async (route: { method: string; url: string }, ids: Record<string, string>) => {
        const url = fill(route.url, ids)
        if (useApiKey) {
          const payload = route.method === 'GET' ? undefined : plausibleApiBody(ids)
          return testApp.app.inject({ method: route.method as 'GET', url, headers: { authorization: `Bearer ${own.apiKey}` }, payload })
        }
        if (route.method === 'GET') return client.get(url)
        if (isApi)
          return client.request({ method: route.method as 'POST', url, payload: plausibleApiBody(ids), headers: { 'x-csrf-token': await csrfOf(client) } })
        return client.submit(url, plausibleBody(ids))
      }
      // Removals last, so the routes that take the same member or registration still find it.
      const isRemoval = (route: { method: string; url: string }) => route.method === 'DELETE' || route.url.endsWith('/remove')
      const checked = orgRoutes.filter((route) => route.url.startsWith('/api/') === isApi).sort((a, b) => Number(isRemoval(a)) - Number(isRemoval(b)))
      const failures: string[] = []
      for (const route of checked) {
        const variants = [otherOrgIds]
        if (/:\w+Id/.test(route.url.replace(':orgId', ''))) variants.push({ ...otherOrgIds, orgId: own.ids.orgId ?? '' })
        for (const ids of variants) {
          const response = await call(route, ids)
          if (response.statusCode !== 404) failures.push(`${route.method} ${fill(route.url, ids)} -> ${response.statusCode}`)
        }
        // Done, or refused for what the request asks (422) or the state it finds (409): either way the route reached the org's things.
        const response = await call(route, own.ids)
        if (response.statusCode >= 400 && response.statusCode !== 409 && response.statusCode !== 422) {
          failures.push(`${route.method} ${fill(route.url, own.ids)} (own org) -> ${response.statusCode}`)
        }
      }
      assert.deepEqual(failures, [])
    })
  }

  it('candidate pages (no :orgId) reach an exam session only through its own org, and only one’s own registrations', async () => {
    const { org, owner } = await newOrg(testApp, 'Org A')
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const { examSessionId, registrationId, orgId } = otherOrgIds
    const listing = await client.get(`/exam-sessions/open/${orgId}`)
    assert.equal(listing.statusCode, 200, 'B’s open exam sessions are for anyone signed in')
    assert.ok(listing.body.includes(examSessionId ?? '-'))
    const wrongOrg = await client.submit(`/exam-sessions/open/${org.id}/${examSessionId}/register`, { email: owner.email })
    assert.equal(wrongOrg.statusCode, 404, 'B’s exam session under A’s ID does not exist')
    assert.equal((await client.get('/exam-sessions/open/org_00000000000000000000000000')).statusCode, 404)
    assert.equal((await client.submit(`/me/exam-registrations/${registrationId}/withdraw`, {})).statusCode, 404, 'someone else’s registration')
  })
})

async function csrfOf(client: ReturnType<TestApp['client']>): Promise<string> {
  const page = await client.get('/account')
  return /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
}
