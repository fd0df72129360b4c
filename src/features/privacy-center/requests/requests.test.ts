import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { count, eq } from 'drizzle-orm'
import { linkFromOutbox, newOrg, newPerson, type PersonFixture, uniqueEmail } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { listAuditEntries } from '../../../platform/audit/query.ts'
import { ConflictError } from '../../../platform/errors.ts'
import { isRestricted } from '../../../platform/privacy/restrictions.ts'
import { createApiKey } from '../../identity/api-keys.ts'
import { addMember, type Org, type OrgScope } from '../../orgs/service.ts'
import { savePrivacySettings } from '../settings.ts'
import { describeDeadline } from './deadline.ts'
import { privacyRequestsPrivacy } from './privacy.ts'
import { PUBLIC_REQUEST_EMAIL_LIMIT } from './public-pages.tsx'
import { sweepPrivacyRequests } from './reminders.ts'
import { type PrivacyRequest, privacyRequests, REQUEST_STATUSES, type RequestStatus } from './schema.ts'
import { actOnRequest, calendarOf, listOwnRequests, orgQueue, platformQueue, REQUEST_ACTIONS, submitOwnRequest } from './service.ts'
import { TRANSITIONS } from './state-machine.ts'

let testApp: TestApp
let org: Org
let owner: PersonFixture
let ownerScope: OrgScope

before(async () => {
  testApp = await startTestApp()
  ;({ org, owner } = await newOrg(testApp, 'Privacy Org'))
  ownerScope = { orgId: org.id, accountId: owner.account.id, role: 'owner' }
})
after(() => testApp.close())

const auditTrail = async (requestId: string) => {
  const entries = await listAuditEntries(testApp.platform.db, { target: requestId, pageSize: 100 })
  return entries.items.map((entry) => entry.action).reverse()
}

const requestRow = async (requestId: string): Promise<PrivacyRequest> => {
  const [row] = await testApp.platform.db.select().from(privacyRequests).where(eq(privacyRequests.id, requestId))
  assert.ok(row, `request ${requestId} exists`)
  return row
}

const callerOf = (person: PersonFixture) => ({ accountId: person.account.id, email: person.email, name: person.account.name })

const countRequests = async () => (await testApp.platform.db.select({ total: count() }).from(privacyRequests))[0]?.total ?? 0

/** A public request through the form; returns the path of its confirmation link. */
async function submitPublicForm(email: string, orgId = org.id): Promise<string> {
  const client = testApp.client()
  await client.get(`/privacy/request?org=${orgId}`)
  const response = await client.submit(`/privacy/request?org=${orgId}`, { type: 'erasure', email, name: 'Pat Public', details: 'Please erase me.' })
  assert.equal(response.statusCode, 200, textOf(response.body).slice(0, 300))
  assert.match(textOf(response.body), /Check your email/)
  return linkFromOutbox(testApp, email, '/privacy/request/confirm')
}

describe('the request queue page', () => {
  it('lists open requests by nearest deadline by default, and sorts by a column header keeping the status filter', async () => {
    const { org: queueOrg, owner: queueOwner } = await newOrg(testApp, 'Sorted Queue Org')
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000)
    const seed = (subjectEmail: string, status: RequestStatus, receivedDaysAgo: number, dueInDays: number) => ({
      orgId: queueOrg.id,
      type: 'access' as const,
      status,
      subjectEmail,
      identityVerification: 'staff' as const,
      receivedAt: day(-receivedDaysAgo),
      dueAt: day(dueInDays),
    })
    await testApp.platform.db
      .insert(privacyRequests)
      .values([seed('closed@example.org', 'completed', 1, 2), seed('later@example.org', 'received', 9, 20), seed('sooner@example.org', 'received', 3, 5)])
    const client = testApp.client()
    await client.signIn(queueOwner.email, queueOwner.password)
    const base = `/orgs/${queueOrg.id}/privacy/requests`
    const subjects = (html: string) => [...html.matchAll(/<td>([a-z]+@example\.org)<\/td>/g)].map((match) => match[1])
    const byUrgency = await client.get(base)
    assert.deepEqual(subjects(byUrgency.body), ['sooner@example.org', 'later@example.org', 'closed@example.org'])
    assert.doesNotMatch(byUrgency.body, /aria-sort=/)
    const byReceived = await client.get(`${base}?sort=received&dir=desc`)
    assert.deepEqual(subjects(byReceived.body), ['closed@example.org', 'sooner@example.org', 'later@example.org'])
    assert.match(byReceived.body, new RegExp(`<th scope="col" aria-sort="descending"><a href="${base}\\?sort=received&dir=asc"`))
    const filtered = await client.get(`${base}?status=received&sort=received&dir=asc`)
    assert.deepEqual(subjects(filtered.body), ['later@example.org', 'sooner@example.org'])
    assert.match(filtered.body, new RegExp(`<a href="${base}\\?status=received&sort=deadline&dir=asc"`))
  })
})

describe('the request state machine', () => {
  it('moves only along allowed transitions, auditing each one and refusing every other with 409', async () => {
    const queue = orgQueue(ownerScope)
    const note = 'Checked against the records.'
    for (const from of REQUEST_STATUSES) {
      for (const action of REQUEST_ACTIONS) {
        const [seeded] = await testApp.platform.db
          .insert(privacyRequests)
          .values({
            orgId: org.id,
            type: 'rectification',
            status: from,
            subjectEmail: uniqueEmail('machine'),
            identityVerification: 'staff',
            receivedAt: new Date(),
            dueAt: new Date(Date.now() + 86_400_000),
          })
          .returning()
        assert.ok(seeded)
        const before = await auditTrail(seeded.id)
        try {
          const moved = await actOnRequest(testApp.platform, queue, seeded.id, { action, note })
          assert.ok((TRANSITIONS[from] as RequestStatus[]).includes(moved.status), `${action} from ${from} went to an allowed state`)
          assert.deepEqual(await auditTrail(seeded.id), [...before, `privacy.request_${moved.status}`], `${action} from ${from} is audited once`)
        } catch (error) {
          assert.ok(error instanceof ConflictError, `${action} from ${from}: ${String(error)}`)
          assert.equal((await requestRow(seeded.id)).status, from, 'a refused move changes nothing')
          assert.deepEqual(await auditTrail(seeded.id), before, 'and audits nothing')
        }
      }
    }
  })

  it('needs a reason to refuse and an admin to complete', async () => {
    const person = await newPerson(testApp)
    const staff = await newPerson(testApp)
    await addMember(testApp.platform, ownerScope, { accountId: staff.account.id, role: 'staff' })
    const request = await submitOwnRequest(testApp.platform, callerOf(person), { orgId: org.id, type: 'rectification', details: null })
    const staffQueue = orgQueue({ orgId: org.id, accountId: staff.account.id, role: 'staff' })
    await actOnRequest(testApp.platform, staffQueue, request.id, { action: 'send_for_approval' })
    await assert.rejects(actOnRequest(testApp.platform, staffQueue, request.id, { action: 'complete' }), /Only an admin/)
    await assert.rejects(actOnRequest(testApp.platform, orgQueue(ownerScope), request.id, { action: 'refuse', note: '  ' }), /Say why/)
    const refused = await actOnRequest(testApp.platform, orgQueue(ownerScope), request.id, { action: 'refuse', note: 'Manifestly unfounded.' })
    assert.equal(refused.outcome, 'Manifestly unfounded.')
    const [told] = await testApp.platform.mailer.listOutbox(testApp.platform.db, { to: person.email })
    assert.equal(told?.subject, 'Your privacy request was refused')
    assert.match(told?.text ?? '', /Manifestly unfounded\./)
    assert.deepEqual(await auditTrail(request.id), [
      'privacy.request_received',
      'privacy.request_in_progress',
      'privacy.request_awaiting_approval',
      'privacy.request_refused',
    ])
  })

  it('answers an illegal move over the API with problem+json 409, and another org’s request with 404', async () => {
    const person = await newPerson(testApp)
    const request = await submitOwnRequest(testApp.platform, callerOf(person), { orgId: org.id, type: 'access', details: null })
    const { secret } = await createApiKey(testApp.platform, { accountId: owner.account.id, orgId: org.id, name: 'privacy', scope: 'write' })
    testApp.secrets.add(secret)
    const call = (url: string, payload: object) =>
      testApp.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, payload })
    const illegal = await call(`/api/v1/orgs/${org.id}/privacy/requests/${request.id}/transitions`, { action: 'complete' })
    assert.equal(illegal.statusCode, 409)
    assert.match(String(illegal.headers['content-type']), /application\/problem\+json/)
    assert.equal(illegal.json().code, 'transition_not_allowed')
    assert.equal((await call(`/api/v1/orgs/${org.id}/privacy/requests/${request.id}/transitions`, { action: 'send_for_approval' })).statusCode, 200)
    const completed = await call(`/api/v1/orgs/${org.id}/privacy/requests/${request.id}/transitions`, { action: 'complete' })
    assert.equal(completed.json().status, 'completed')
    assert.match(completed.json().outcome, /download it from My privacy/)
    const other = await newOrg(testApp, 'Other Org')
    const foreign = await submitOwnRequest(testApp.platform, callerOf(person), { orgId: other.org.id, type: 'access', details: null })
    const listed = await testApp.app.inject({ url: `/api/v1/orgs/${org.id}/privacy/requests/${foreign.id}`, headers: { authorization: `Bearer ${secret}` } })
    assert.equal(listed.statusCode, 404)
  })
})

describe('the public request form', () => {
  it('starts nothing until the emailed link is opened, and the link works once', async () => {
    const email = uniqueEmail('public')
    testApp.personalData.add(email)
    const link = await submitPublicForm(email)
    const [pending] = await testApp.platform.db.select().from(privacyRequests).where(eq(privacyRequests.subjectEmail, email))
    assert.equal(pending?.status, 'identity_pending')
    assert.equal(pending?.identityVerification, 'unverified')
    const token = new URL(link, 'http://x').searchParams.get('token') ?? ''
    assert.notEqual(pending?.tokenHash, token, 'only a hash of the token is stored')

    const client = testApp.client()
    const confirmPage = await client.get(link)
    assert.equal(confirmPage.statusCode, 200)
    assert.match(textOf(confirmPage.body), /Confirm your request/)
    const confirmed = await client.submit('/privacy/request/confirm', { token })
    assert.equal(confirmed.statusCode, 200)
    assert.match(textOf(confirmed.body), /Request confirmed/)
    const after = await requestRow(pending?.id ?? '')
    assert.equal(after.status, 'received')
    assert.equal(after.identityVerification, 'email_link')

    const again = await client.submit('/privacy/request/confirm', { token })
    assert.equal(again.statusCode, 409)
    assert.match(textOf(again.body), /already confirmed/)
    assert.equal((await client.get(link)).statusCode, 409)
    assert.deepEqual(await auditTrail(after.id), ['privacy.request_received', 'privacy.request_identity_pending', 'privacy.request_received'])
  })

  it('refuses a forged link and changes nothing', async () => {
    const before = await countRequests()
    const client = testApp.client()
    const forged = await client.get('/privacy/request/confirm?token=forged-token-that-was-never-sent')
    assert.equal(forged.statusCode, 422)
    assert.match(textOf(forged.body), /not valid/)
    assert.equal((await client.submit('/privacy/request/confirm', { token: 'forged-token-that-was-never-sent' })).statusCode, 422)
    assert.equal(await countRequests(), before)
  })

  it('shows clear errors for a malformed form and stores and sends nothing', async () => {
    const before = await countRequests()
    const email = uniqueEmail('malformed')
    const client = testApp.client()
    await client.get('/privacy/request')
    const response = await client.submit('/privacy/request', { type: 'everything', email: 'not-an-email', name: '' })
    assert.equal(response.statusCode, 422)
    const text = textOf(response.body)
    assert.match(text, /Choose the kind of request/)
    assert.match(text, /Enter your email address/)
    assert.match(text, /Enter your name/)
    const badEmailOnly = await client.submit('/privacy/request', { type: 'access', email: `${email}@@`, name: 'X' })
    assert.equal(badEmailOnly.statusCode, 422)
    assert.equal(await countRequests(), before)
    assert.equal((await testApp.platform.mailer.listOutbox(testApp.platform.db, { to: email })).length, 0)
    assert.equal((await client.get('/privacy/request?org=org_doesnotexist')).statusCode, 404)
  })

  it('shows its purpose notice', async () => {
    const page = await testApp.client().get('/privacy/request')
    assert.match(textOf(page.body), /We use your email address and name only to handle this request/)
  })

  it('limits requests per email address, whatever the sender’s address', async () => {
    const email = uniqueEmail('flood')
    testApp.personalData.add(email)
    const statuses: number[] = []
    for (let i = 0; i <= PUBLIC_REQUEST_EMAIL_LIMIT.max; i++) {
      const client = testApp.client()
      await client.get('/privacy/request')
      statuses.push((await client.submit('/privacy/request', { type: 'access', email, name: 'Flood' })).statusCode)
    }
    assert.deepEqual(statuses, [...Array(PUBLIC_REQUEST_EMAIL_LIMIT.max).fill(200), 429])
    const stored = await testApp.platform.db.select().from(privacyRequests).where(eq(privacyRequests.subjectEmail, email))
    assert.equal(stored.length, PUBLIC_REQUEST_EMAIL_LIMIT.max, 'the refused one stored nothing')
  })

  it('limits requests per sender address, whatever the emails', async () => {
    const client = testApp.client()
    await client.get('/privacy/request')
    let status = 0
    for (let i = 0; i < 20 && status !== 429; i++) {
      const email = uniqueEmail('ipflood')
      testApp.personalData.add(email)
      status = (await client.submit('/privacy/request', { type: 'access', email, name: 'Flood' })).statusCode
    }
    assert.equal(status, 429)
  })
})

describe('requests of a signed-in person', () => {
  it('erasure: confirmed by the person, completed by staff; then the person can no longer sign in', async () => {
    const person = await newPerson(testApp, { name: 'Erin Erased' })
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    const page = await client.get('/account/privacy')
    assert.equal(page.statusCode, 200)
    assert.match(textOf(page.body), /You have made no privacy request/)
    assert.match(page.body, /href="\/account\/emails"/)

    const before = await countRequests()
    const asked = await client.submit('/account/privacy/requests', { type: 'erasure', orgId: org.id })
    assert.match(textOf(asked.body), /Request erasure\?/, 'erasure is confirmed first')
    assert.equal(await countRequests(), before)
    const confirmed = await client.submit('/account/privacy/requests', { type: 'erasure', orgId: org.id, confirm: 'yes' })
    assert.equal(confirmed.headers.location, '/account/privacy')
    const listed = await client.get('/account/privacy')
    assert.match(textOf(listed.body), /Erasure\s+\S+\s+In progress/)
    const [request] = await listOwnRequests(testApp.platform.db, person.account.id, [person.email])
    assert.ok(request)
    assert.equal(request.identityVerification, 'session')

    const staffClient = testApp.client()
    await staffClient.signIn(owner.email, owner.password)
    const queue = await staffClient.get(`/orgs/${org.id}/privacy/requests`)
    assert.equal(queue.statusCode, 200)
    assert.match(queue.body, new RegExp(request.id))
    const detailUrl = `/orgs/${org.id}/privacy/requests/${request.id}`
    const detail = await staffClient.get(detailUrl)
    assert.match(textOf(detail.body), /due in \d+ working days?/)
    assert.equal((await staffClient.submit(detailUrl, { action: 'send_for_approval' })).statusCode, 302)
    assert.equal((await staffClient.submit(detailUrl, { action: 'complete', note: 'Erased everywhere.' })).statusCode, 302)

    const erased = await requestRow(request.id)
    assert.equal(erased.status, 'completed')
    assert.equal(erased.subjectEmail, null, 'the request keeps no address of the erased person')
    assert.equal(erased.outcome, 'Erased everywhere.')
    const trail = textOf((await staffClient.get(detailUrl)).body)
    assert.match(trail, /privacy\.request_completed[\s\S]*privacy\.request_awaiting_approval/)
    assert.equal((await client.get('/account/privacy')).statusCode, 302, 'the erased person’s login session is gone')
    const signIn = await testApp.client().submit('/sign-in', { email: person.email, password: person.password, next: '/' })
    assert.notEqual(signIn.statusCode, 302, 'and they cannot sign in again')
  })

  it('restriction: completing restricts processing, lifting resumes it', async () => {
    const person = await newPerson(testApp)
    const request = await submitOwnRequest(testApp.platform, callerOf(person), { orgId: org.id, type: 'restriction', details: null })
    await actOnRequest(testApp.platform, orgQueue(ownerScope), request.id, { action: 'send_for_approval' })
    await actOnRequest(testApp.platform, orgQueue(ownerScope), request.id, { action: 'complete' })
    assert.equal(await isRestricted(testApp.platform.db, person.email), true)
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    await client.get(`/orgs/${org.id}/privacy/requests/${request.id}`)
    assert.equal((await client.submit(`/orgs/${org.id}/privacy/requests/${request.id}/lift`, {})).statusCode, 302)
    assert.equal(await isRestricted(testApp.platform.db, person.email), false)
    assert.ok((await auditTrail(request.id)).includes('privacy.restriction_lifted'))
  })

  it('makes and lists the person’s own requests over the JSON API', async () => {
    const person = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    const json = { 'content-type': 'application/json', accept: 'application/json' }
    const created = await client.request({ method: 'POST', url: '/api/v1/privacy/requests', headers: json, payload: { type: 'access', orgId: org.id } })
    assert.equal(created.statusCode, 201, created.body)
    assert.equal(created.json().status, 'in_progress')
    const malformed = await client.request({ method: 'POST', url: '/api/v1/privacy/requests', headers: json, payload: { type: 'everything' } })
    assert.equal(malformed.statusCode, 400)
    assert.match(String(malformed.headers['content-type']), /application\/problem\+json/)
    const listed = await client.request({ method: 'GET', url: '/api/v1/privacy/requests', headers: json })
    assert.deepEqual(
      listed.json().map((one: { id: string }) => one.id),
      [created.json().id],
    )
  })

  it('the person lifts their own restriction from My privacy', async () => {
    const person = await newPerson(testApp)
    const request = await submitOwnRequest(testApp.platform, callerOf(person), { orgId: null, type: 'objection', details: null })
    await actOnRequest(testApp.platform, platformQueue(owner.account.id), request.id, { action: 'send_for_approval' })
    await actOnRequest(testApp.platform, platformQueue(owner.account.id), request.id, { action: 'complete' })
    const client = testApp.client()
    await client.signIn(person.email, person.password)
    assert.match(textOf((await client.get('/account/privacy')).body), /Processing of your data is restricted/)
    assert.equal((await client.submit('/account/privacy/restriction/lift', {})).statusCode, 302)
    assert.equal(await isRestricted(testApp.platform.db, person.email), false)
    assert.doesNotMatch(textOf((await client.get('/account/privacy')).body), /Processing of your data is restricted/)
  })

  it('a guardian acts for a child: the request is about the child, made and audited as the guardian', async () => {
    const guardian = await newPerson(testApp, { name: 'Gina Guardian' })
    const child = await newPerson(testApp, { name: 'Kid' })
    const request = await submitOwnRequest(testApp.platform, callerOf(guardian), {
      orgId: org.id,
      type: 'erasure',
      details: null,
      actingFor: { accountId: child.account.id, email: child.email },
    })
    assert.equal(request.subjectEmail, child.email)
    assert.equal(request.subjectAccountId, child.account.id)
    assert.equal(request.guardianEmail, guardian.email)
    assert.equal(request.actingAccountId, guardian.account.id)
    const [received] = (await listAuditEntries(testApp.platform.db, { target: request.id, action: 'privacy.request_received' })).items
    assert.equal(received?.actorAccountId, guardian.account.id)
    assert.deepEqual(received?.data, { type: 'erasure', actingForSubject: true })
    for (const someone of [guardian, child]) {
      const own = await listOwnRequests(testApp.platform.db, someone.account.id, [someone.email])
      assert.ok(
        own.some((one) => one.id === request.id),
        'both see it',
      )
    }
    const exported = await privacyRequestsPrivacy.export(testApp.platform.db, { accountId: guardian.account.id, email: guardian.email })
    assert.deepEqual(
      (exported.requests as { id: string; actingAsGuardian: boolean }[]).map(({ id, actingAsGuardian }) => ({ id, actingAsGuardian })),
      [{ id: request.id, actingAsGuardian: true }],
    )
  })

  it('the platform admin sees requests to the platform and to every org', async () => {
    const admin = await newPerson(testApp)
    const { setPlatformAdmin } = await import('../../identity/service.ts')
    await setPlatformAdmin(testApp.platform, admin.email, true)
    const person = await newPerson(testApp)
    const request = await submitOwnRequest(testApp.platform, callerOf(person), { orgId: null, type: 'objection', details: null })
    const client = testApp.client()
    await client.signIn(admin.email, admin.password)
    const queue = await client.get('/admin/privacy/requests')
    assert.equal(queue.statusCode, 200)
    assert.match(queue.body, new RegExp(request.id))
    assert.match(textOf(queue.body), /Platform/)
    const detail = await client.get(`/admin/privacy/requests/${request.id}`)
    assert.match(textOf(detail.body), /Send for approval/)
    assert.equal((await client.submit(`/admin/privacy/requests/${request.id}`, { action: 'send_for_approval' })).statusCode, 302)
    assert.equal((await requestRow(request.id)).status, 'awaiting_approval')
    const memberClient = testApp.client()
    await memberClient.signIn(person.email, person.password)
    assert.equal((await memberClient.get('/admin/privacy/requests')).statusCode, 403)
  })
})

describe('privacy settings page', () => {
  it('saves every field, one holiday per line and sub-processor rows', async () => {
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    assert.equal((await client.get(`/orgs/${org.id}/privacy/settings`)).statusCode, 200)
    const saved = await client.submit(`/orgs/${org.id}/privacy/settings`, {
      controllerName: 'Privacy Org Ltd',
      contactEmail: 'DPO@privacy-org.example',
      requestDeadlineWorkingDays: '10',
      holidays: '2026-12-25\n2026-12-24',
      childAge: '16',
      spName: ['Mail Co', ''],
      spPurpose: ['Sending email', ''],
      spLocation: ['EU', ''],
      internationalTransfers: 'None.',
    })
    assert.equal(saved.statusCode, 302)
    const { getPrivacySettings } = await import('../settings.ts')
    const settings = await getPrivacySettings(testApp.platform.db, org.id)
    assert.deepEqual(settings, {
      controllerName: 'Privacy Org Ltd',
      contactEmail: 'dpo@privacy-org.example',
      requestDeadlineWorkingDays: 10,
      holidays: ['2026-12-25', '2026-12-24'],
      childAge: 16,
      subProcessors: [{ name: 'Mail Co', purpose: 'Sending email', location: 'EU' }],
      internationalTransfers: 'None.',
      retentionDays: {},
    })
    const bad = await client.submit(`/orgs/${org.id}/privacy/settings`, { requestDeadlineWorkingDays: '10', childAge: '16', holidays: 'next friday' })
    assert.equal(bad.statusCode, 422)
    assert.match(textOf(bad.body), /“next” is not a date/)
    assert.deepEqual((await getPrivacySettings(testApp.platform.db, org.id)).holidays, ['2026-12-25', '2026-12-24'], 'nothing saved')
    await savePrivacySettings(testApp.platform, ownerScope, { ...settings, requestDeadlineWorkingDays: 7, holidays: [] })
  })
})

// These tests move the app's clock forward: they come last.
describe('deadlines on the clock', () => {
  it('emails the privacy contact once when a request is near due and once when overdue, and flags it on the dashboard', async () => {
    const contact = uniqueEmail('dpo')
    const { getPrivacySettings } = await import('../settings.ts')
    await savePrivacySettings(testApp.platform, ownerScope, { ...(await getPrivacySettings(testApp.platform.db, org.id)), contactEmail: contact })
    const person = await newPerson(testApp)
    const request = await submitOwnRequest(testApp.platform, callerOf(person), { orgId: org.id, type: 'access', details: null })
    const calendar = await calendarOf(testApp.platform.db, org.id)
    const mails = async () =>
      (await testApp.platform.mailer.listOutbox(testApp.platform.db, { to: contact }))
        .filter((message) => message.text.includes(request.id))
        .map((message) => message.subject)

    await sweepPrivacyRequests(testApp.platform)
    assert.deepEqual(await mails(), [], 'nothing while the deadline is far')
    while (!describeDeadline(testApp.clock.now(), request.dueAt, calendar).isNearDue) testApp.clock.advance(86_400_000)
    await sweepPrivacyRequests(testApp.platform)
    await sweepPrivacyRequests(testApp.platform)
    assert.equal((await mails()).length, 1, 'one near-due message, however often the sweep runs')
    assert.match((await mails())[0] ?? '', /Privacy request is (due today|due in [12] working days?)/)

    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    assert.match(textOf((await client.get(`/orgs/${org.id}`)).body), /\d+ overdue, [1-9]\d* due within two working days/)

    testApp.clock.advance(request.dueAt.getTime() - testApp.clock.now().getTime() + 1000)
    await sweepPrivacyRequests(testApp.platform)
    await sweepPrivacyRequests(testApp.platform)
    const subjects = await mails()
    assert.equal(subjects.length, 2, 'one overdue message too')
    assert.ok(subjects.includes('Privacy request is overdue'))
    const row = await requestRow(request.id)
    assert.ok(row.nearDueNotifiedAt && row.overdueNotifiedAt)
    const signedIn = testApp.client()
    await signedIn.signIn(owner.email, owner.password)
    assert.match(textOf((await signedIn.get(`/orgs/${org.id}`)).body), /[1-9]\d* overdue/)
    assert.match(textOf((await signedIn.get(`/orgs/${org.id}/privacy/requests/${request.id}`)).body), /overdue/)
  })

  it('emails the platform admins about a request to the platform, once', async () => {
    const admin = await newPerson(testApp)
    const { setPlatformAdmin } = await import('../../identity/service.ts')
    await setPlatformAdmin(testApp.platform, admin.email, true)
    const person = await newPerson(testApp)
    const request = await submitOwnRequest(testApp.platform, callerOf(person), { orgId: null, type: 'erasure', details: null })
    testApp.clock.advance(request.dueAt.getTime() - testApp.clock.now().getTime() + 1000)
    await sweepPrivacyRequests(testApp.platform)
    await sweepPrivacyRequests(testApp.platform)
    const messages = (await testApp.platform.mailer.listOutbox(testApp.platform.db, { to: admin.email })).filter((message) => message.text.includes(request.id))
    assert.deepEqual(
      messages.map((message) => message.subject),
      ['Privacy request is overdue'],
    )
    assert.match(messages[0]?.text ?? '', /\/admin\/privacy\/requests\//)
  })

  it('refuses a confirmation link after 24 hours, and expires requests never confirmed after 30 days', async () => {
    const email = uniqueEmail('late')
    testApp.personalData.add(email)
    const link = await submitPublicForm(email)
    const [pending] = await testApp.platform.db.select().from(privacyRequests).where(eq(privacyRequests.subjectEmail, email))
    assert.ok(pending)
    testApp.clock.advance(25 * 3_600_000)
    const client = testApp.client()
    const late = await client.get(link)
    assert.equal(late.statusCode, 422)
    assert.match(textOf(late.body), /expired/)
    const token = new URL(link, 'http://x').searchParams.get('token') ?? ''
    assert.equal((await client.submit('/privacy/request/confirm', { token })).statusCode, 422)
    assert.equal((await requestRow(pending.id)).status, 'identity_pending', 'nothing changed')

    testApp.clock.advance(30 * 86_400_000)
    const swept = await sweepPrivacyRequests(testApp.platform)
    assert.ok(swept.expired >= 1)
    assert.equal((await requestRow(pending.id)).status, 'expired')
    assert.deepEqual((await auditTrail(pending.id)).at(-1), 'privacy.request_expired')
  })
})
