import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { and, eq, inArray } from 'drizzle-orm'
import { newOrg, newPerson, type PersonFixture, utcHourInDays } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { auditEntries } from '../../../platform/audit/schema.ts'
import { createAccount } from '../../identity/service.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { type Exam, type Room, saveCentre, saveExam, saveRoom } from '../catalog/catalog.ts'
import { cancelExamSessions, createExamSession, type ExamSession } from '../sessions/sessions.ts'
import { listRegistrations, registerCandidate, removeRegistration } from './registrations.ts'
import { listMyRegistrations, listOpenExamSessions, selfRegister, setSelfRegistration, withdrawRegistration } from './self-registration.ts'

let testApp: TestApp
let scope: OrgScope
let owner: PersonFixture
let exam: Exam
let room: Room
const HOUR = 3_600_000
const DAY = 24 * HOUR
let nextDay = 40

/** A new exam session on a day of its own, open for self-registration unless told otherwise. */
async function newSession(seats: number, options: { open?: boolean } = {}): Promise<ExamSession> {
  const day = nextDay++
  const session = await createExamSession(testApp.platform, scope, {
    examId: exam.id,
    roomId: room.id,
    proctorId: null,
    startsAt: utcHourInDays(day, 9),
    endsAt: utcHourInDays(day, 10),
    seats,
  })
  if (options.open ?? true) await setSelfRegistration(testApp.platform, scope, session.id, { open: true, closesAt: null })
  return session
}
const people = (names: string[]) => Promise.all(names.map((name) => newPerson(testApp, { name })))
const asActor = (person: PersonFixture) => ({ accountId: person.account.id, name: person.account.name })
const places = async (sessionId: string) => (await listRegistrations(testApp.platform.db, scope, sessionId)).map((row) => `${row.name}:${row.status}`)

before(async () => {
  testApp = await startTestApp()
  const created = await newOrg(testApp, 'Self Registration Org')
  owner = created.owner
  scope = { orgId: created.org.id, accountId: owner.account.id, role: 'owner' }
  exam = await saveExam(testApp.platform, scope, { code: 'SR-1', title: 'Safety Rules', durationMinutes: 60, passMark: 5, maxScore: 10, achievementId: null })
  const centre = await saveCentre(testApp.platform, scope, { code: 'PAR', name: 'Paris Nord', timeZone: 'Europe/Paris' })
  room = await saveRoom(testApp.platform, scope, centre.id, { name: 'Salle 1', capacity: 40 })
})
after(() => testApp.close())

describe('self-registration', () => {
  it('seats candidates while seats are free, then waitlists them; a withdrawal seats the first on the waitlist; all audited', async () => {
    const { platform } = testApp
    const session = await newSession(2)
    const [ada, ben, cyd, dot] = await people(['Ada', 'Ben', 'Cyd', 'Dot'])
    assert.ok(ada && ben && cyd && dot)
    const first = await selfRegister(platform, asActor(ada), scope.orgId, session.id, ada.email)
    await selfRegister(platform, asActor(ben), scope.orgId, session.id, ben.email.toUpperCase())
    const third = await selfRegister(platform, asActor(cyd), scope.orgId, session.id, cyd.email)
    await selfRegister(platform, asActor(dot), scope.orgId, session.id, dot.email)
    assert.equal(first.status, 'seated')
    assert.equal(third.status, 'waitlisted')
    assert.deepEqual(await places(session.id), ['Ada:seated', 'Ben:seated', 'Cyd:waitlisted', 'Dot:waitlisted'])
    await assert.rejects(selfRegister(platform, asActor(ada), scope.orgId, session.id, ada.email), /already registered/)
    await assert.rejects(selfRegister(platform, asActor(ada), scope.orgId, session.id, ben.email), /confirmed addresses of your account/)

    const [dotsPlace] = await listMyRegistrations(platform, dot.account.id)
    assert.deepEqual([dotsPlace?.status, dotsPlace?.waitlistPosition, dotsPlace?.withdrawRefusal], ['waitlisted', 2, null])
    const open = await listOpenExamSessions(platform, scope.orgId, dot.account.id)
    assert.equal(open.orgName, 'Self Registration Org')
    assert.deepEqual(
      open.sessions.filter((row) => row.id === session.id).map((row) => [row.seated, row.waitlisted, row.examTitle]),
      [[2, 2, 'Safety Rules']],
    )

    await assert.rejects(withdrawRegistration(platform, ben.account.id, first.id), /No exam registration/, 'nobody withdraws another person')
    const { promoted } = await withdrawRegistration(platform, ada.account.id, first.id)
    assert.equal(promoted?.name, 'Cyd')
    assert.deepEqual(await places(session.id), ['Ben:seated', 'Cyd:seated', 'Dot:waitlisted'])
    assert.equal((await listMyRegistrations(platform, dot.account.id))[0]?.waitlistPosition, 1, 'Dot moves up the waitlist')

    // Staff removal and self-withdrawal share one path: removing a seated candidate seats Dot.
    const ben1 = (await listRegistrations(platform.db, scope, session.id)).find((row) => row.name === 'Ben')
    assert.ok(ben1)
    assert.equal((await removeRegistration(platform, scope, session.id, ben1.id)).promoted?.name, 'Dot')

    await platform.audit.flush()
    const entries = await platform.db
      .select({ action: auditEntries.action, actor: auditEntries.actorAccountId, target: auditEntries.target })
      .from(auditEntries)
      .where(and(eq(auditEntries.orgId, scope.orgId), inArray(auditEntries.target, [first.id, third.id])))
    assert.deepEqual(entries.map((entry) => `${entry.action}:${entry.target === first.id ? 'Ada' : 'Cyd'}`).sort(), [
      'exams.candidate_promoted:Cyd',
      'exams.candidate_self_registered:Ada',
      'exams.candidate_self_registered:Cyd',
      'exams.candidate_withdrew:Ada',
    ])
    assert.ok(entries.filter((entry) => entry.action !== 'exams.candidate_promoted').every((entry) => entry.actor !== owner.account.id))
  })

  it('concurrent registrations never take more than the seats', async () => {
    const { platform } = testApp
    const session = await newSession(3)
    const crowd = await people(Array.from({ length: 12 }, (_, i) => `Racer ${i + 1}`))
    const results = await Promise.allSettled(crowd.map((person) => selfRegister(platform, asActor(person), scope.orgId, session.id, person.email)))
    assert.deepEqual(
      results.filter((result) => result.status === 'rejected'),
      [],
    )
    const rows = await listRegistrations(platform.db, scope, session.id)
    assert.equal(rows.filter((row) => row.status === 'seated').length, 3)
    assert.equal(rows.filter((row) => row.status === 'waitlisted').length, 9)
    assert.equal(new Set(rows.map((row) => row.position)).size, 12, 'every registration has its own place in line')
    // And a withdrawal racing new registrations still leaves exactly the seats taken.
    const seated = rows.find((row) => row.status === 'seated')
    const seatedPerson = crowd.find((person) => person.email === seated?.email)
    assert.ok(seated && seatedPerson)
    const late = await people(['Late 1', 'Late 2'])
    await Promise.all([
      withdrawRegistration(platform, seatedPerson.account.id, seated.id),
      ...late.map((person) => selfRegister(platform, asActor(person), scope.orgId, session.id, person.email)),
    ])
    const after = await listRegistrations(platform.db, scope, session.id)
    assert.equal(after.filter((row) => row.status === 'seated').length, 3)
    assert.equal(after.length, 13)
  })

  it('refuses when self-registration is not open, has closed, or the exam session is cancelled or started', async () => {
    const { platform } = testApp
    const [eve] = await people(['Eve'])
    assert.ok(eve)
    const register = (session: ExamSession) => selfRegister(platform, asActor(eve), scope.orgId, session.id, eve.email)

    const notOpen = await newSession(5, { open: false })
    await assert.rejects(register(notOpen), /not open for registration by candidates/)
    assert.ok(!(await listOpenExamSessions(platform, scope.orgId, eve.account.id)).sessions.some((row) => row.id === notOpen.id))

    const closing = await newSession(5, { open: false })
    await assert.rejects(
      setSelfRegistration(platform, scope, closing.id, { open: true, closesAt: new Date(closing.startsAt.getTime() + HOUR) }),
      /must close before the exam session starts/,
    )
    await setSelfRegistration(platform, scope, closing.id, { open: true, closesAt: new Date(platform.clock.now().getTime() + DAY) })
    const cancelled = await newSession(5)
    await cancelExamSessions(platform, scope, [cancelled.id], 'Flooded')
    await assert.rejects(register(cancelled), /cancelled; it takes no registrations/)
    const started = await newSession(5)
    const registered = await register(started)

    testApp.clock.advance(2 * DAY)
    try {
      await assert.rejects(register(closing), /Registration for this exam session closed at \d{4}-\d{2}-\d{2} \d{2}:\d{2} \(Europe\/Paris\)/)
      assert.ok(!(await listOpenExamSessions(platform, scope.orgId, eve.account.id)).sessions.some((row) => row.id === closing.id))
    } finally {
      testApp.clock.advance(-2 * DAY)
    }
    const skip = started.startsAt.getTime() - platform.clock.now().getTime() + HOUR
    testApp.clock.advance(skip)
    try {
      const [other] = await people(['Fay'])
      assert.ok(other)
      await assert.rejects(selfRegister(platform, asActor(other), scope.orgId, started.id, other.email), /has started/)
      await assert.rejects(withdrawRegistration(platform, eve.account.id, registered.id), /cannot withdraw: This exam session has started/)
      assert.equal((await listOpenExamSessions(platform, scope.orgId, eve.account.id)).sessions.length, 0)
    } finally {
      testApp.clock.advance(-skip)
    }

    // An address not yet confirmed cannot register.
    const unconfirmed = await createAccount(platform, { email: `unconfirmed.${Date.now()}@example.org`, name: 'Gil', password: 'Tq9!unconfirmed-laurel-pw' })
    testApp.secrets.add('Tq9!unconfirmed-laurel-pw')
    await assert.rejects(selfRegister(platform, { accountId: unconfirmed.id, name: 'Gil' }, scope.orgId, started.id, unconfirmed.email), /confirmed addresses/)
  })

  it('refuses an exam session of another org, as if it did not exist', async () => {
    const other = await newOrg(testApp, 'Other')
    const [hal] = await people(['Hal'])
    assert.ok(hal)
    const session = await newSession(5)
    await assert.rejects(selfRegister(testApp.platform, asActor(hal), other.org.id, session.id, hal.email), /No exam session/)
  })
})

describe('self-registration pages', () => {
  it('sends someone not signed in to sign in, then back', async () => {
    const client = testApp.client()
    for (const path of [`/exam-sessions/open/${scope.orgId}`, '/me/exam-registrations']) {
      const response = await client.get(path)
      assert.equal(response.statusCode, 302)
      assert.equal(response.headers.location, `/sign-in?next=${encodeURIComponent(path)}`)
    }
    const session = await newSession(5)
    const post = await client.submit(`/exam-sessions/open/${scope.orgId}/${session.id}/register`, { email: 'x@example.org' })
    assert.equal(post.statusCode, 302)
    assert.match(String(post.headers.location), /^\/sign-in/)
    assert.deepEqual(await places(session.id), [])
  })

  it('staff open self-registration on the exam session page; a non-member registers, joins the waitlist, sees the place and withdraws', async () => {
    const session = await newSession(1, { open: false })
    const staff = testApp.client()
    await staff.signIn(owner.email, owner.password)
    const page = `/orgs/${scope.orgId}/exam-sessions/${session.id}`
    const before = await staff.get(page)
    assert.match(textOf(before.body), /Self-registration: closed/)
    assert.ok(before.body.includes(`href="${page}/attendance.pdf"`), 'the session page links the attendance sheet')
    assert.equal((await staff.submit(`${page}/self-registration`, { open: 'on', closesAt: '' })).statusCode, 302)
    const opened = await staff.get(page)
    assert.match(textOf(opened.body), /Candidates may now register themselves/)
    assert.match(textOf(opened.body), /Self-registration: open until the start/)

    const [ivy, jon] = await people(['Ivy Étoile', 'Jon'])
    assert.ok(ivy && jon)
    await registerCandidate(testApp.platform, scope, session.id, { name: 'Kit', email: `kit.${Date.now()}@example.org` })
    const candidate = testApp.client()
    await candidate.signIn(ivy.email, ivy.password)
    const listing = await candidate.get(`/exam-sessions/open/${scope.orgId}`)
    assert.equal(listing.statusCode, 200)
    assert.match(textOf(listing.body), /Exam sessions of Self Registration Org/)
    assert.match(textOf(listing.body), /SR-1 · Safety Rules/)
    assert.match(textOf(listing.body), /Full: you would join the waitlist/)
    assert.match(textOf(listing.body), /\(Europe\/Paris\)/)
    const registered = await candidate.submit(`/exam-sessions/open/${scope.orgId}/${session.id}/register`, { email: ivy.email })
    assert.equal(registered.statusCode, 302)
    assert.equal(registered.headers.location, '/me/exam-registrations')
    const mine = await candidate.get('/me/exam-registrations')
    assert.match(textOf(mine.body), /The exam session is full: you are on its waitlist, as Ivy Étoile/)
    assert.match(textOf(mine.body), /Waitlist, number 1/)
    assert.match(textOf((await candidate.get(`/exam-sessions/open/${scope.orgId}`)).body), /Registered: Waitlist, number 1/)
    assert.equal((await candidate.submit(`/exam-sessions/open/${scope.orgId}/${session.id}/register`, { email: ivy.email })).statusCode, 302)
    assert.match(textOf((await candidate.get(`/exam-sessions/open/${scope.orgId}`)).body), /already registered/)

    // Another signed-in person cannot withdraw Ivy: her registration is "not found" for them.
    const [row] = (await listRegistrations(testApp.platform.db, scope, session.id)).filter((each) => each.email === ivy.email)
    assert.ok(row)
    const intruder = testApp.client()
    await intruder.signIn(jon.email, jon.password)
    await intruder.get('/me/exam-registrations')
    assert.equal((await intruder.submit(`/me/exam-registrations/${row.id}/withdraw`, {})).statusCode, 404)

    assert.equal((await candidate.submit(`/me/exam-registrations/${row.id}/withdraw`, {})).statusCode, 302)
    assert.match(textOf((await candidate.get('/me/exam-registrations')).body), /You are withdrawn.*You are not registered for any exam session/)
    assert.deepEqual(await places(session.id), ['Kit:seated'])

    assert.equal((await staff.submit(`${page}/self-registration`, { closesAt: '' })).statusCode, 302)
    assert.ok(!(await candidate.get(`/exam-sessions/open/${scope.orgId}`)).body.includes(session.id), 'a closed exam session is not listed')
  })
})
