import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createAchievement, issueCredential, previewBulkIssuance } from '../../src/features/credentials/service.ts'
import { portalRuns } from '../../src/features/exams/schema.ts'
import {
  createExamSession,
  previewExamSessionImport,
  previewRegistrationImport,
  registerCandidate,
  saveCentre,
  saveExam,
  saveProctor,
  saveRoom,
  setSelfRegistration,
} from '../../src/features/exams/service.ts'
import { createApiKey } from '../../src/features/identity/api-keys.ts'
import { addMember, inviteMember } from '../../src/features/orgs/service.ts'
import { newOrg, newPerson, uniqueEmail } from '../support/factories.ts'
import { startTestApp, type TestApp } from '../support/harness.ts'

/**
 * Calls every route that has an :orgId parameter, as a member of org A, with org B's IDs: each must
 * answer 404, as if B's things did not exist. Routes are read from the app, so a new route is
 * covered the moment it is added; a route with a parameter this test has no value for fails it.
 */
let testApp: TestApp
let orgRoutes: { method: string; url: string }[]
const otherOrgIds: Record<string, string> = {}
const ownOrgId: { value: string } = { value: '' }
let actor: Awaited<ReturnType<typeof newPerson>>
let apiKeySecret = ''

before(async () => {
  testApp = await startTestApp()
  const { platform } = testApp
  const own = await newOrg(testApp, 'Org A')
  actor = own.owner
  ownOrgId.value = own.org.id
  const other = await newOrg(testApp, 'Org B')
  const otherScope = { orgId: other.org.id, accountId: other.owner.account.id, role: 'owner' as const }
  const someone = await newPerson(testApp)
  const member = await addMember(platform, otherScope, { accountId: someone.account.id, role: 'staff' })
  const invitation = await inviteMember(platform, otherScope, { email: uniqueEmail(), role: 'member' })
  const achievement = await createAchievement(platform, otherScope, {
    name: 'B only',
    description: 'd',
    criteria: 'c',
    tags: [],
    alignments: [],
    validityMonths: null,
  })
  const { credential } = await issueCredential(platform, otherScope, {
    achievementId: achievement.id,
    recipientEmail: uniqueEmail(),
    recipientName: 'B holder',
  })
  const bulk = await previewBulkIssuance(platform, otherScope, { fileName: 'b.csv', content: Buffer.from(`email,name,achievement\n${uniqueEmail()},X,B only`) })
  const exam = await saveExam(platform, otherScope, { code: 'B-1', title: 'B exam', durationMinutes: 60, passMark: 1, maxScore: 2, achievementId: null })
  const centre = await saveCentre(platform, otherScope, { code: 'B-C', name: 'B centre', timeZone: 'UTC' })
  const room = await saveRoom(platform, otherScope, centre.id, { name: 'B room', capacity: 5 })
  const proctor = await saveProctor(platform, otherScope, { name: 'B proctor', email: uniqueEmail(), memberId: null })
  const startsAt = new Date(Date.now() + 7 * 86_400_000)
  const examSession = await createExamSession(platform, otherScope, {
    examId: exam.id,
    roomId: room.id,
    proctorId: proctor.id,
    startsAt,
    endsAt: new Date(startsAt.getTime() + 3_600_000),
    seats: 5,
  })
  const sessionImport = await previewExamSessionImport(platform, otherScope, {
    fileName: 'b.csv',
    content: Buffer.from(`exam,centre,room,start
B-1,B-C,B room,${new Date(startsAt.getTime() + 86_400_000).toISOString().slice(0, 16)}`),
  })
  const registration = await registerCandidate(platform, otherScope, examSession.id, { name: 'B candidate', email: uniqueEmail() })
  await setSelfRegistration(platform, otherScope, examSession.id, { open: true, closesAt: null })
  const registrationImport = await previewRegistrationImport(platform, otherScope, {
    fileName: 'b.csv',
    content: Buffer.from(`session,name,email\n${examSession.id},B other,${uniqueEmail()}`),
  })
  // A portal run needs a portal login to start; the row alone is enough to be found (or not).
  const [portalRun] = await platform.db
    .insert(portalRuns)
    .values({ orgId: other.org.id, action: 'create', total: 1, createdByAccountId: other.owner.account.id })
    .returning()
  Object.assign(otherOrgIds, {
    portalRunId: portalRun?.id,
    registrationId: registration.id,
    registrationImportId: registrationImport.id,
    examId: exam.id,
    centreId: centre.id,
    roomId: room.id,
    proctorId: proctor.id,
    examSessionId: examSession.id,
    examSessionImportId: sessionImport.id,
    orgId: other.org.id,
    memberId: member.id,
    invitationId: invitation.id,
    achievementId: achievement.id,
    credentialId: credential.id,
    bulkIssuanceId: bulk.id,
  })
  apiKeySecret = (await createApiKey(platform, { accountId: actor.account.id, orgId: own.org.id, name: 'cross-org test', scope: 'write' })).secret
  testApp.secrets.add(apiKeySecret)
  orgRoutes = testApp.app.routeTable.filter((route) => route.url.includes(':orgId'))
})
after(() => testApp.close())

function fill(url: string, values: Record<string, string>): string {
  return url.replace(/:(\w+)/g, (_match, name: string) => {
    const value = values[name]
    assert.ok(value, `The cross-org test has no value for :${name} in ${url}; add one.`)
    return value
  })
}

const plausibleBody = {
  email: 'someone@example.org',
  role: 'member',
  name: 'Someone',
  timeZone: 'UTC',
  token: 'x'.repeat(20),
  reason: 'cross-org test',
  achievementId: 'ach_00000000000000000000000000',
  recipientName: 'X',
  recipientEmail: 'x@example.org',
  description: 'd',
  criteria: 'c',
}

/** JSON API bodies must pass their schema (checked before the org scope) to reach the 404; IDs are org B's. */
const plausibleApiBody = () => ({
  ...plausibleBody,
  examId: otherOrgIds.examId,
  roomId: otherOrgIds.roomId,
  start: '2099-01-01T09:00',
  ids: [otherOrgIds.examSessionId],
  results: [{ email: 'someone@example.org', score: 1 }],
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

  for (const useApiKey of [false, true]) {
    const via = useApiKey ? 'an API key' : 'a login session'
    it(`answers 404 for another org's ID on every org-scoped route, through ${via}`, async () => {
      const client = testApp.client()
      if (!useApiKey) await client.signIn(actor.email, actor.password)
      const failures: string[] = []
      for (const route of orgRoutes) {
        const isApi = route.url.startsWith('/api/')
        if (useApiKey && !isApi) continue
        const variants = [fill(route.url, otherOrgIds)]
        if (/:\w+Id/.test(route.url.replace(':orgId', ''))) variants.push(fill(route.url, { ...otherOrgIds, orgId: ownOrgId.value }))
        for (const url of variants) {
          const response = useApiKey
            ? await testApp.app.inject({
                method: route.method as 'GET',
                url,
                headers: { authorization: `Bearer ${apiKeySecret}` },
                payload: route.method === 'GET' ? undefined : plausibleApiBody(),
              })
            : route.method === 'GET'
              ? await client.get(url)
              : isApi
                ? await client.request({ method: route.method as 'POST', url, payload: plausibleApiBody(), headers: { 'x-csrf-token': await csrfOf(client) } })
                : await client.submit(url, plausibleBody)
          if (response.statusCode !== 404) failures.push(`${route.method} ${url} -> ${response.statusCode}`)
        }
      }
      assert.deepEqual(failures, [])
    })
  }

  it('candidate pages (no :orgId) reach an exam session only through its own org, and only one’s own registrations', async () => {
    const client = testApp.client()
    await client.signIn(actor.email, actor.password)
    const { examSessionId, registrationId, orgId } = otherOrgIds
    const listing = await client.get(`/exam-sessions/open/${orgId}`)
    assert.equal(listing.statusCode, 200, 'B’s open exam sessions are for anyone signed in')
    assert.ok(listing.body.includes(examSessionId ?? '-'))
    const wrongOrg = await client.submit(`/exam-sessions/open/${ownOrgId.value}/${examSessionId}/register`, { email: actor.email })
    assert.equal(wrongOrg.statusCode, 404, 'B’s exam session under A’s ID does not exist')
    assert.equal((await client.get('/exam-sessions/open/org_00000000000000000000000000')).statusCode, 404)
    assert.equal((await client.submit(`/me/exam-registrations/${registrationId}/withdraw`, {})).statusCode, 404, 'someone else’s registration')
  })

  it('still serves the same routes for the caller’s own org', async () => {
    const client = testApp.client()
    await client.signIn(actor.email, actor.password)
    const response = await client.get(`/orgs/${ownOrgId.value}/members`)
    assert.equal(response.statusCode, 200)
    const api = await testApp.app.inject({ method: 'GET', url: `/api/v1/orgs/${ownOrgId.value}/members`, headers: { authorization: `Bearer ${apiKeySecret}` } })
    assert.equal(api.statusCode, 200)
  })
})

async function csrfOf(client: ReturnType<TestApp['client']>): Promise<string> {
  const page = await client.get('/account')
  return /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
}
