import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eq } from 'drizzle-orm'
import { newOrg, newPerson, uniqueEmail, utcHourInDays } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { mailMessages } from '../../../platform/mail/schema.ts'
import { MEMO_TTL_MS } from '../../../platform/memo.ts'
import { eraseSubject } from '../../../platform/privacy/registry.ts'
import { flushCredentialEvents } from '../../credentials/analytics/analytics.ts'
import { saveCertificateDesign } from '../../credentials/pdf/design.ts'
import { createAchievement, issueCredential, recordCredentialEvent } from '../../credentials/service.ts'
import { createExamSession, registerCandidate, saveCentre, saveExam, saveRoom } from '../../exams/service.ts'
import { submitOwnRequest } from '../../privacy-center/requests/service.ts'
import { addMember, inviteMember, type OrgScope } from '../service.ts'
import { loadStaffDashboard, startOfMonth } from './service.ts'

let testApp: TestApp
before(async () => {
  testApp = await startTestApp()
})
after(() => testApp.close())

const ownerScope = (orgId: string, accountId: string): OrgScope => ({ orgId, accountId, role: 'owner' })

async function orgWithAchievement(name: string) {
  const { org, owner } = await newOrg(testApp, name)
  const scope = ownerScope(org.id, owner.account.id)
  const achievement = await createAchievement(testApp.platform, scope, {
    name: 'First Aid',
    description: 'd',
    criteria: 'c',
    tags: [],
    alignments: [],
    validityMonths: 12,
  })
  return { org, owner, scope, achievementId: achievement.id }
}

async function issue(scope: OrgScope, achievementId: string) {
  const recipientEmail = uniqueEmail('recipient')
  testApp.personalData.add(recipientEmail)
  const { credential } = await issueCredential(testApp.platform, scope, { achievementId, recipientEmail, recipientName: 'Rita Recipient' })
  return credential
}

describe('loadStaffDashboard', () => {
  it('counts this month’s credentials, verifications and deliveries of the org only', async () => {
    const { org, scope, achievementId } = await orgWithAchievement('Counting Org')
    const other = await orgWithAchievement('Other Counting Org')
    const first = await issue(scope, achievementId)
    await issue(scope, achievementId)
    await issue(other.scope, other.achievementId)
    await recordCredentialEvent(testApp.platform, { orgId: org.id, credentialId: first.id, kind: 'verified', channel: 'page', outcome: 'valid' })
    await flushCredentialEvents(testApp.platform)
    const [delivery] = await testApp.platform.db.select({ id: mailMessages.id }).from(mailMessages).where(eq(mailMessages.orgId, org.id)).limit(1)
    await testApp.platform.db
      .update(mailMessages)
      .set({ status: 'failed' })
      .where(eq(mailMessages.id, delivery?.id ?? ''))

    const dashboard = await loadStaffDashboard(testApp.platform, scope, 'UTC')
    assert.equal(dashboard.credentials.issuedSince, 2)
    assert.equal(dashboard.credentials.verifiedSince, 1)
    assert.equal(dashboard.credentials.pendingDeliveries, 1, 'the other email waits in the outbox')
    assert.equal(dashboard.credentials.failedDeliveries, 1)
  })

  it('starts the month in the org’s time zone', () => {
    const now = new Date('2026-03-01T02:00:00Z')
    assert.equal(startOfMonth(now, 'UTC').toISOString(), '2026-03-01T00:00:00.000Z')
    assert.equal(startOfMonth(now, 'America/New_York').toISOString(), '2026-02-01T05:00:00.000Z', 'still February in New York')
    assert.equal(startOfMonth(now, 'Europe/Paris').toISOString(), '2026-02-28T23:00:00.000Z')
  })

  it('lists the next exam sessions with their seats, and open privacy requests with deadlines', async () => {
    const { org, scope } = await orgWithAchievement('Sessions Org')
    const { platform } = testApp
    const exam = await saveExam(platform, scope, {
      code: 'FA-1',
      title: 'First Aid Exam',
      durationMinutes: 60,
      passMark: 70,
      maxScore: 100,
      achievementId: null,
    })
    const centre = await saveCentre(platform, scope, { code: 'LON', name: 'London', timeZone: 'Europe/London' })
    const room = await saveRoom(platform, scope, centre.id, { name: 'A', capacity: 20 })
    const plan = (days: number) => ({
      examId: exam.id,
      roomId: room.id,
      proctorId: null,
      startsAt: utcHourInDays(days, 9),
      endsAt: utcHourInDays(days, 10),
      seats: 8,
    })
    const later = await createExamSession(platform, scope, plan(30))
    const soon = await createExamSession(platform, scope, plan(10))
    const third = await createExamSession(platform, scope, plan(40))
    await createExamSession(platform, scope, plan(41))
    await registerCandidate(platform, scope, soon.id, { name: 'Cora Candidate', email: uniqueEmail('candidate') })

    const person = await newPerson(testApp)
    await submitOwnRequest(
      platform,
      { accountId: person.account.id, email: person.email, name: person.account.name },
      { orgId: org.id, type: 'access', details: null },
    )

    const dashboard = await loadStaffDashboard(platform, scope, 'UTC')
    assert.deepEqual(
      dashboard.upcomingSessions.map((session) => [session.id, session.seated, session.seats]),
      [
        [soon.id, 1, 8],
        [later.id, 0, 8],
        [third.id, 0, 8],
      ],
      'the nearest three, soonest first',
    )
    assert.equal(dashboard.privacyRequests.open, 1)
    assert.equal(dashboard.privacyRequests.nearest[0]?.type, 'access')
    assert.match(dashboard.privacyRequests.nearest[0]?.deadline ?? '', /due in \d+ working days/)
  })

  it('ticks the getting-started steps as they are done', async () => {
    const { org, owner } = await newOrg(testApp, 'Checklist Org')
    const scope = ownerScope(org.id, owner.account.id)
    const stepsDone = async () =>
      Object.fromEntries((await loadStaffDashboard(testApp.platform, scope, 'UTC')).checklist.map((step) => [step.key, step.isDone]))
    assert.deepEqual(await stepsDone(), { achievement: false, design: false, credential: false, mail: false, staff: false })

    const achievement = await createAchievement(testApp.platform, scope, {
      name: 'A',
      description: 'd',
      criteria: 'c',
      tags: [],
      alignments: [],
      validityMonths: null,
    })
    await saveCertificateDesign(testApp.platform, scope, achievement.id, { primaryColor: '#112233' })
    await issue(scope, achievement.id)
    const member = await newPerson(testApp)
    await addMember(testApp.platform, scope, { accountId: member.account.id, role: 'member' })
    assert.equal((await stepsDone()).staff, false, 'a member is not staff')
    await inviteMember(testApp.platform, scope, { email: uniqueEmail('staff'), role: 'staff' })
    assert.deepEqual(
      await stepsDone(),
      { achievement: true, design: true, credential: true, mail: false, staff: true },
      'mail stays in the outbox without SMTP',
    )
  })
})

describe('GET /orgs/:orgId', () => {
  it('shows the key numbers, the checklist and recent activity in words to an owner', async () => {
    const { org, owner, scope, achievementId } = await orgWithAchievement('Dashboard Org')
    await issue(scope, achievementId)
    await testApp.platform.audit.flush()
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const page = await client.get(`/orgs/${org.id}`)
    assert.equal(page.statusCode, 200)
    const text = textOf(page.body)
    assert.match(text, /Your role: owner/)
    assert.match(text, /\b1 credential issued this month\b/)
    assert.match(text, /\b0 verifications this month\b/)
    assert.match(text, /Getting started 2 of 5 done/)
    assert.match(page.body, new RegExp(`<a href="/orgs/${org.id}/members"[^>]*>Invite staff</a>`))
    assert.match(text, new RegExp(`Org Owner \\(${owner.email.replaceAll('.', '\\.')}\\) issued a credential`))
    assert.match(text, /Org Owner \(.+\) created the achievement “First Aid”/)
    assert.match(text, /No exam sessions coming up\. Schedule one/)
    assert.doesNotMatch(text, /http\.page_request|opened GET/, 'no page requests in recent activity')
  })

  it('shows staff the numbers without the checklist or activity, and members a simpler view', async () => {
    const { org, scope } = await orgWithAchievement('Roles Org')
    const staff = await newPerson(testApp)
    const member = await newPerson(testApp)
    await addMember(testApp.platform, scope, { accountId: staff.account.id, role: 'staff' })
    await addMember(testApp.platform, scope, { accountId: member.account.id, role: 'member' })

    const staffClient = testApp.client()
    await staffClient.signIn(staff.email, staff.password)
    const staffText = textOf((await staffClient.get(`/orgs/${org.id}`)).body)
    assert.match(staffText, /credentials issued this month/)
    assert.doesNotMatch(staffText, /Getting started|Recent activity/)

    const memberClient = testApp.client()
    await memberClient.signIn(member.email, member.password)
    const memberPage = await memberClient.get(`/orgs/${org.id}`)
    assert.equal(memberPage.statusCode, 200)
    assert.doesNotMatch(textOf(memberPage.body), /credentials issued this month|Privacy requests|Getting started/)
    assert.match(memberPage.body, /href="\/me\/credentials">My credentials<\/a>: the credentials issued to you/)
  })

  it('drops the checklist once every step is done', async () => {
    const withSmtp = await startTestApp({ env: { SMTP_URL: 'smtp://127.0.0.1:9' } })
    try {
      const { org, owner } = await newOrg(withSmtp, 'Ready Org')
      const scope = ownerScope(org.id, owner.account.id)
      const achievement = await createAchievement(withSmtp.platform, scope, {
        name: 'A',
        description: 'd',
        criteria: 'c',
        tags: [],
        alignments: [],
        validityMonths: null,
      })
      await saveCertificateDesign(withSmtp.platform, scope, achievement.id, { primaryColor: '#112233' })
      const recipientEmail = uniqueEmail('recipient')
      withSmtp.personalData.add(recipientEmail)
      await issueCredential(withSmtp.platform, scope, { achievementId: achievement.id, recipientEmail, recipientName: 'Rita Recipient' })
      const client = withSmtp.client()
      await client.signIn(owner.email, owner.password)
      assert.match(textOf((await client.get(`/orgs/${org.id}`)).body), /Getting started 4 of 5 done/)
      await inviteMember(withSmtp.platform, scope, { email: uniqueEmail('admin'), role: 'admin' })
      withSmtp.clock.advance(MEMO_TTL_MS)
      assert.doesNotMatch(textOf((await client.get(`/orgs/${org.id}`)).body), /Getting started/)
    } finally {
      await withSmtp.close()
    }
  })

  it('is remembered for a moment, but never past the erasure of a person it names', async () => {
    const { org, owner, scope, achievementId } = await orgWithAchievement('Remembering Org')
    const colleague = await newPerson(testApp, { name: 'Colleague To Erase' })
    await addMember(testApp.platform, scope, { accountId: colleague.account.id, role: 'admin' })
    await issue({ ...scope, accountId: colleague.account.id, role: 'admin' }, achievementId)
    await testApp.platform.audit.flush()
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const first = textOf((await client.get(`/orgs/${org.id}`)).body)
    assert.match(first, /Colleague To Erase \(.+\) issued a credential/)
    assert.match(first, /\b1 credential issued this month\b/)

    await issue(scope, achievementId)
    assert.match(textOf((await client.get(`/orgs/${org.id}`)).body), /\b1 credential issued this month\b/, 'remembered for a moment')
    await eraseSubject(testApp.platform.db, testApp.platform.memo, testApp.platform.privacyProviders, {
      accountId: colleague.account.id,
      email: colleague.email,
    })
    const afterErasure = textOf((await client.get(`/orgs/${org.id}`)).body)
    assert.doesNotMatch(afterErasure, /Colleague To Erase/)
    assert.match(afterErasure, /a deleted account issued a credential/)
    assert.match(afterErasure, /\b2 credentials issued this month\b/)
  })
})

describe('GET /', () => {
  it('takes a person in no org to their credentials, and staff to their org', async () => {
    const recipient = await newPerson(testApp)
    const client = testApp.client()
    await client.signIn(recipient.email, recipient.password)
    const home = await client.get('/')
    assert.equal(home.statusCode, 302)
    assert.equal(home.headers.location, '/me/credentials')
    const credentials = await client.get('/me/credentials')
    assert.match(credentials.body, /<a href="\/orgs\/new">Create an organisation<\/a>/)

    const { org, owner } = await newOrg(testApp, 'Home Org')
    const ownerClient = testApp.client()
    await ownerClient.signIn(owner.email, owner.password)
    assert.equal((await ownerClient.get('/')).headers.location, `/orgs/${org.id}`)
  })
})
