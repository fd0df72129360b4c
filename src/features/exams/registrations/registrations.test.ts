import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { and, eq, inArray } from 'drizzle-orm'
import { moveExamSession, newOrg, uniqueEmail, utcHourInDays } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { installFetch, verifyWithVerifierCore } from '../../../../test/support/independent-verifiers.ts'
import { auditEntries } from '../../../platform/audit/schema.ts'
import { utcToZoned } from '../../../platform/time-zones.ts'
import { createAchievement } from '../../credentials/service.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { type Exam, type Room, saveCentre, saveExam, saveRoom } from '../catalog/catalog.ts'
import {
  cancelExamSessions,
  completeExamSessions,
  confirmExamSessions,
  createExamSession,
  type ExamSession,
  getExamSession,
  rescheduleExamSession,
} from '../sessions/sessions.ts'
import {
  checkInCandidate,
  confirmRegistrationImport,
  importResults,
  listRegistrations,
  previewRegistrationImport,
  recordResults,
  registerCandidate,
  removeRegistration,
} from './registrations.ts'

const PUBLIC_URL = 'http://laurel.test'
let testApp: TestApp
let scope: OrgScope
let owner: Awaited<ReturnType<typeof newOrg>>['owner']
let exam: Exam
let room: Room
let restoreFetch: () => void
let nextDay = 30

/** A new exam session on a day of its own, so none is double-booked. */
const newSession = (seats: number, examId = exam.id): Promise<ExamSession> => {
  const day = nextDay++
  return createExamSession(testApp.platform, scope, {
    examId,
    roomId: room.id,
    proctorId: null,
    startsAt: utcHourInDays(day, 9),
    endsAt: utcHourInDays(day, 10),
    seats,
  })
}
const candidate = (name: string) => ({ name, email: uniqueEmail(name.toLowerCase().replace(/\W/g, '')) })
const places = async (sessionId: string) => (await listRegistrations(testApp.platform.db, scope, sessionId)).map((row) => `${row.name}:${row.status}`)

before(async () => {
  testApp = await startTestApp({ env: { PUBLIC_URL } })
  restoreFetch = installFetch(async (url) => {
    const parsed = new URL(url)
    if (parsed.origin !== PUBLIC_URL) return undefined
    const response = await testApp.app.inject({ url: parsed.pathname })
    return response.statusCode === 200 ? (response.json() as object) : undefined
  })
  const created = await newOrg(testApp)
  owner = created.owner
  scope = { orgId: created.org.id, accountId: owner.account.id, role: 'owner' }
  const { platform } = testApp
  const achievement = await createAchievement(platform, scope, {
    name: 'Certified First Aider',
    description: 'Passed the first aid exam',
    criteria: 'Score at least 70 of 100 in FA-101',
    tags: [],
    alignments: [],
    validityMonths: 24,
  })
  exam = await saveExam(platform, scope, {
    code: 'FA-101',
    title: 'First Aid',
    durationMinutes: 60,
    passMark: 70,
    maxScore: 100,
    achievementId: achievement.id,
  })
  const centre = await saveCentre(platform, scope, { code: 'LON', name: 'London Bridge', timeZone: 'Europe/London' })
  room = await saveRoom(platform, scope, centre.id, { name: 'A', capacity: 30 })
})
after(async () => {
  restoreFetch()
  await testApp.close()
})

describe('registrations', () => {
  it('seats candidates up to the seats, waitlists the rest and promotes the waitlist in order when a seated one is removed', async () => {
    const { platform } = testApp
    const session = await newSession(2)
    const [ann, bob, cat, dan] = [candidate('Ann'), candidate('Bob'), candidate('Cat'), candidate('Dan')]
    const first = await registerCandidate(platform, scope, session.id, ann)
    await registerCandidate(platform, scope, session.id, bob)
    const third = await registerCandidate(platform, scope, session.id, cat)
    await registerCandidate(platform, scope, session.id, dan)
    assert.equal(third.status, 'waitlisted')
    assert.deepEqual(await places(session.id), ['Ann:seated', 'Bob:seated', 'Cat:waitlisted', 'Dan:waitlisted'])
    await assert.rejects(registerCandidate(platform, scope, session.id, { name: 'Ann again', email: ann.email.toUpperCase() }), /already registered/)
    await assert.rejects(registerCandidate(platform, scope, session.id, { name: 'No', email: 'not-an-email' }), /email address/)
    await assert.rejects(checkInCandidate(platform, scope, session.id, third.id), /waitlist/)

    const { promoted } = await removeRegistration(platform, scope, session.id, first.id)
    assert.equal(promoted?.name, 'Cat')
    assert.deepEqual(await places(session.id), ['Bob:seated', 'Cat:seated', 'Dan:waitlisted'])
    const waitlisted = (await listRegistrations(platform.db, scope, session.id)).find((row) => row.name === 'Dan')
    assert.ok(waitlisted)
    assert.equal((await removeRegistration(platform, scope, session.id, waitlisted.id)).promoted, undefined)
    assert.deepEqual(await places(session.id), ['Bob:seated', 'Cat:seated'])

    await registerCandidate(platform, scope, session.id, { name: 'Eli', email: uniqueEmail() })
    await registerCandidate(platform, scope, session.id, { name: 'Flo', email: uniqueEmail() })
    const where = { roomId: session.roomId, proctorId: null, startsAt: session.startsAt, endsAt: session.endsAt }
    await rescheduleExamSession(platform, scope, session.id, { ...where, seats: 3 })
    assert.deepEqual(await places(session.id), ['Bob:seated', 'Cat:seated', 'Eli:seated', 'Flo:waitlisted'], 'more seats seat the waitlist in order')
    await rescheduleExamSession(platform, scope, session.id, { ...where, seats: 1 })
    assert.deepEqual(await places(session.id), ['Bob:seated', 'Cat:seated', 'Eli:seated', 'Flo:waitlisted'], 'fewer seats unseat nobody')

    await moveExamSession(testApp, session.id, -10)
    const checkedIn = await checkInCandidate(platform, scope, session.id, third.id)
    assert.ok(checkedIn.checkedInAt)
    await platform.audit.flush()
    const actions = await platform.db
      .select({ action: auditEntries.action })
      .from(auditEntries)
      .where(and(eq(auditEntries.orgId, scope.orgId), eq(auditEntries.target, third.id)))
    assert.deepEqual(actions.map((entry) => entry.action).sort(), ['exams.candidate_checked_in', 'exams.candidate_promoted', 'exams.candidate_registered'])
  })

  it('refuses another org’s exam session and a cancelled one', async () => {
    const other = await newOrg(testApp, 'Other Org')
    const otherScope = { orgId: other.org.id, accountId: other.owner.account.id, role: 'owner' as const }
    const session = await newSession(5)
    await assert.rejects(registerCandidate(testApp.platform, otherScope, session.id, candidate('Eve')), /No exam session/)
    await cancelExamSessions(testApp.platform, scope, [session.id], 'Testing')
    await assert.rejects(registerCandidate(testApp.platform, scope, session.id, candidate('Fay')), /cancelled; it takes no registrations/)
  })

  it('previews a CSV naming each bad row, saves nothing before confirmation, and nothing twice on re-upload', async () => {
    const { platform } = testApp
    const open = await newSession(2)
    const small = await newSession(1)
    const cancelled = await newSession(5)
    await cancelExamSessions(platform, scope, [cancelled.id], 'Room closed')
    const already = candidate('Gus')
    await registerCandidate(platform, scope, small.id, already)
    const [hal, ivy] = [candidate('Hal'), candidate('Ivy')]
    const csv = [
      'session,name,email',
      `${open.id},Hal,${hal.email}`,
      `${open.id},Nobody,not-an-email`,
      `${open.id},Hal twice,${hal.email.toUpperCase()}`,
      `exs_unknown,Jo,${uniqueEmail()}`,
      `${small.id},Kim,${uniqueEmail()}`,
      `${cancelled.id},Lu,${uniqueEmail()}`,
      `${open.id},Ivy,${ivy.email}`,
      `${small.id},Gus,${already.email}`,
    ].join('\n')
    const preview = await previewRegistrationImport(platform, scope, { fileName: 'candidates.csv', content: Buffer.from(csv) })
    assert.deepEqual(preview.problems, [
      { line: 3, reason: 'bad email "not-an-email"' },
      { line: 4, reason: 'duplicate of line 2' },
      { line: 5, reason: 'unknown exam session "exs_unknown"' },
      { line: 6, reason: `exam session ${small.id} is full (1 seats)` },
      { line: 7, reason: `exam session ${cancelled.id} is cancelled` },
    ])
    assert.deepEqual([preview.totalRows, preview.validRows, preview.alreadyRegistered], [8, 2, 1])
    assert.deepEqual(await places(open.id), [], 'nothing is saved before confirmation')

    assert.deepEqual(await confirmRegistrationImport(platform, scope, preview.id), { saved: 2 })
    assert.deepEqual(await places(open.id), ['Hal:seated', 'Ivy:seated'])
    assert.deepEqual(await confirmRegistrationImport(platform, scope, preview.id), { saved: 2 }, 'confirming again saves nothing new')
    const again = await previewRegistrationImport(platform, scope, { fileName: 'candidates.csv', content: Buffer.from(csv) })
    assert.deepEqual([again.validRows, again.alreadyRegistered], [0, 3])
    await assert.rejects(confirmRegistrationImport(platform, scope, again.id), /nobody to register/)
    assert.deepEqual(await places(open.id), ['Hal:seated', 'Ivy:seated'])
  })

  it('cancelling an exam session emails each registered candidate the reason', async () => {
    const { platform } = testApp
    const session = await newSession(1)
    const [seated, waiting] = [candidate('Max'), candidate('Ned')]
    await registerCandidate(platform, scope, session.id, seated)
    await registerCandidate(platform, scope, session.id, waiting)
    await cancelExamSessions(platform, scope, [session.id], 'The centre is closed for repairs')
    for (const person of [seated, waiting]) {
      const [message] = await platform.mailer.listOutbox(platform.db, { to: person.email })
      assert.ok(message, `${person.email} is told`)
      assert.match(message.subject, /Cancelled: First Aid/)
      assert.match(message.text, new RegExp(`Dear ${person.name},`))
      assert.match(message.text, /Reason: The centre is closed for repairs/)
    }
  })
})

describe('results', () => {
  it('opens check-in and results only from the start less the exam grace, saying when, and dates credentials by the exam session', async () => {
    const { platform } = testApp
    const session = await newSession(2)
    const registration = await registerCandidate(platform, scope, session.id, candidate('Early'))
    await confirmExamSessions(platform, scope, [session.id])
    const startsAt = utcToZoned(session.startsAt, 'Europe/London').replace('T', ' ')
    const opensCheckIn = utcToZoned(new Date(session.startsAt.getTime() - 3_600_000), 'Europe/London').replace('T', ' ')
    await assert.rejects(checkInCandidate(platform, scope, session.id, registration.id), {
      message: `Check-in opens at ${opensCheckIn} (Europe/London), 60 minutes before the exam session starts.`,
    })
    await assert.rejects(recordResults(platform, scope, session.id, [{ email: registration.email, score: 90 }]), {
      message: `Recording results opens at ${startsAt} (Europe/London), when the exam session starts.`,
    })

    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const early = await client.get(`/orgs/${scope.orgId}/exam-sessions/${session.id}`)
    assert.match(
      textOf(early.body),
      new RegExp(`Check-in opens at ${opensCheckIn} \\(Europe/London\\); results can be recorded from ${startsAt} \\(Europe/London\\)\\.`),
    )
    assert.doesNotMatch(early.body, /check-in"/, 'no check-in button yet')

    await moveExamSession(testApp, session.id, 30)
    assert.ok((await checkInCandidate(platform, scope, session.id, registration.id)).checkedInAt, 'check-in opens an hour before')
    await assert.rejects(recordResults(platform, scope, session.id, [{ email: registration.email, score: 90 }]), /Recording results opens at/)

    await moveExamSession(testApp, session.id, -3 * 24 * 60)
    assert.deepEqual(await recordResults(platform, scope, session.id, [{ email: registration.email, score: 90 }]), { recorded: 1, passed: 1, issued: 1 })
    const [held] = await listRegistrations(platform.db, scope, session.id)
    const credential = (await testApp.app.inject({ url: `/credentials/${held?.credentialId}.json` })).json() as { validFrom: string }
    const endedAt = (await getExamSession(platform.db, scope, session.id)).endsAt
    assert.equal(new Date(credential.validFrom).getTime(), endedAt.getTime(), 'dated by the exam session, not today')

    const strict = await saveExam(platform, scope, {
      code: 'FA-STRICT',
      title: 'First Aid, doors open at the start',
      durationMinutes: 60,
      passMark: 70,
      maxScore: 100,
      achievementId: null,
      checkInOpensMinutesBefore: 0,
      resultsOpenMinutesBefore: 30,
    })
    const strictSession = await newSession(2, strict.id)
    const late = await registerCandidate(platform, scope, strictSession.id, candidate('Late'))
    await confirmExamSessions(platform, scope, [strictSession.id])
    await moveExamSession(testApp, strictSession.id, 20)
    await assert.rejects(checkInCandidate(platform, scope, strictSession.id, late.id), /, when the exam session starts\.$/)
    assert.deepEqual(await recordResults(platform, scope, strictSession.id, [{ email: late.email, score: 80 }]), { recorded: 1, passed: 1, issued: 0 })
  })

  it('import: passing candidates receive a credential an independent verifier accepts, failing ones none, re-import issues none', async () => {
    const { platform } = testApp
    const session = await newSession(5)
    const [pia, quin, rex] = [candidate('Pia'), candidate('Quin'), candidate('Rex')]
    for (const person of [pia, quin, rex]) await registerCandidate(platform, scope, session.id, person)
    const csv = Buffer.from(`email,score\n${pia.email},70\n${quin.email},69\n${rex.email},95`)
    await assert.rejects(importResults(platform, scope, session.id, csv), /results are entered once it is confirmed/)
    await confirmExamSessions(platform, scope, [session.id])
    await moveExamSession(testApp, session.id, -60)
    await assert.rejects(
      importResults(platform, scope, session.id, Buffer.from(`email,score\n${pia.email},101\nstranger@example.org,50`)),
      /No results were saved\. line 2: score must be a whole number from 0 to 100; line 3: stranger@example.org is not registered/,
    )

    assert.deepEqual(await importResults(platform, scope, session.id, csv), { recorded: 3, passed: 2, issued: 2 })
    const rows = new Map((await listRegistrations(platform.db, scope, session.id)).map((row) => [row.email, row]))
    assert.equal(rows.get(quin.email)?.passed, false)
    assert.equal(rows.get(quin.email)?.credentialId, null, 'a fail issues nothing')
    for (const person of [pia, rex]) {
      const row = rows.get(person.email)
      assert.equal(row?.passed, true)
      assert.ok(row?.credentialId, `${person.name} has a credential`)
      const response = await testApp.app.inject({ url: `/credentials/${row.credentialId}.json` })
      assert.equal(response.statusCode, 200, response.body)
      const document = response.json() as { credentialSubject: { name: string; result: { value: string }[] } }
      assert.equal(document.credentialSubject.name, person.name)
      assert.equal(document.credentialSubject.result[0]?.value, String(row.score))
      const verdict = await verifyWithVerifierCore(document)
      assert.deepEqual(
        [verdict.errors, verdict.signature, verdict.notRevoked, verdict.notExpired, verdict.schemaErrors],
        [undefined, true, true, true, undefined],
      )
    }

    assert.deepEqual(await importResults(platform, scope, session.id, csv), { recorded: 3, passed: 2, issued: 0 }, 're-import issues nothing')
    const after = await listRegistrations(platform.db, scope, session.id)
    assert.deepEqual(
      after.map((row) => row.credentialId),
      [...rows.values()].map((row) => row.credentialId),
    )
    await assert.rejects(recordResults(platform, scope, session.id, [{ email: pia.email, score: 10 }]), /already passed and holds credential/)
    await completeExamSessions(platform, scope, [session.id])
    await platform.audit.flush()
    const credentialEntries = await platform.db
      .select({ target: auditEntries.target })
      .from(auditEntries)
      .where(
        and(
          eq(auditEntries.action, 'exams.credential_issued'),
          inArray(
            auditEntries.target,
            [...rows.values()].map((row) => row.id),
          ),
        ),
      )
    assert.equal(credentialEntries.length, 2)
  })

  it('pages: the candidates table sorts by its headers, seated before the waitlist by default', async () => {
    const session = await newSession(2)
    for (const name of ['bea', 'Cy', 'Al']) await registerCandidate(testApp.platform, scope, session.id, candidate(name))
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const page = `/orgs/${scope.orgId}/exam-sessions/${session.id}`
    const names = (html: string) => [...(html.split('id="registrations"')[1] ?? '').matchAll(/<tr><td>([^<]+)<\/td>/g)].map((match) => match[1])
    assert.deepEqual(names((await client.get(page)).body), ['bea', 'Cy', 'Al'])
    const byName = await client.get(`${page}?sort=name&dir=desc`)
    assert.deepEqual(names(byName.body), ['Cy', 'bea', 'Al'])
    assert.match(byName.body, new RegExp(`<th scope="col" aria-sort="descending"><a href="${page}\\?sort=name&dir=asc#candidates"`))
    assert.deepEqual(names((await client.get(`${page}?sort=place&dir=desc`)).body), ['Al', 'bea', 'Cy'], 'the waitlist first, each in registration order')
  })

  it('pages: register a candidate, check them in, enter a score that issues a credential, and mark the exam session completed', async () => {
    const session = await newSession(3)
    await confirmExamSessions(testApp.platform, scope, [session.id])
    await moveExamSession(testApp, session.id, -10)
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const page = `/orgs/${scope.orgId}/exam-sessions/${session.id}`
    assert.match(textOf((await client.get(page)).body), /No candidates yet/)
    const sam = candidate('Sam')
    assert.equal((await client.submit(`${page}/registrations`, sam)).statusCode, 302)
    const [registration] = await listRegistrations(testApp.platform.db, scope, session.id)
    assert.ok(registration)
    await client.get(page)
    assert.equal((await client.submit(`${page}/registrations/${registration.id}/check-in`, {})).statusCode, 302)
    await client.get(page)
    assert.equal((await client.submit(`${page}/results`, { [`score_${registration.id}`]: '88' })).statusCode, 302)
    const shown = await client.get(page)
    assert.match(textOf(shown.body), /1 results saved: 1 passed, 1 credentials issued/)
    assert.match(textOf(shown.body), /Present/)
    const [stored] = await listRegistrations(testApp.platform.db, scope, session.id)
    assert.ok(stored?.credentialId)
    assert.ok(shown.body.includes(`href="/orgs/${scope.orgId}/credentials/${stored.credentialId}"`))
    assert.equal((await client.submit(`${page}/complete`, {})).statusCode, 302)
    assert.match(textOf((await client.get(page)).body), /completed/)
  })

  it('pages: upload candidates from a CSV file, see the bad row, confirm, then import their results from a CSV file', async () => {
    const session = await newSession(3)
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const upload = async (url: string, form: string, content: string) => {
      const csrf = /name="_csrf" value="([^"]+)"/.exec((await client.get(form)).body)?.[1] ?? ''
      const boundary = 'registrationsboundary'
      return client.request({
        method: 'POST',
        url,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: [
          `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`,
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload.csv"\r\nContent-Type: text/csv\r\n\r\n${content}\r\n`,
          `--${boundary}--\r\n`,
        ].join(''),
      })
    }
    const [tia, uma] = [candidate('Tia'), candidate('Uma')]
    const importPage = `/orgs/${scope.orgId}/exam-registrations/import`
    const preview = await upload(
      importPage,
      importPage,
      `session,name,email\n${session.id},Tia,${tia.email}\n${session.id},Uma,${uma.email}\n${session.id},Bad,nope`,
    )
    assert.equal(preview.statusCode, 200)
    const sampleHref = /href="([^"]+)"[^>]*>Download a sample file/.exec((await client.get(importPage)).body)?.[1] ?? ''
    assert.equal((await client.get(sampleHref)).body.split('\n')[0], 'session,name,email')
    assert.match(textOf(preview.body), /2 ready to register/)
    assert.match(textOf(preview.body), /Line Problem 4 bad email &#34;nope&#34;/)
    assert.deepEqual(await places(session.id), [])
    const action = /action="([^"]+\/confirm)"/.exec(preview.body)?.[1] ?? ''
    assert.equal((await client.submit(action, {})).statusCode, 302)
    assert.deepEqual(await places(session.id), ['Tia:seated', 'Uma:seated'])

    await confirmExamSessions(testApp.platform, scope, [session.id])
    await moveExamSession(testApp, session.id, -10)
    const page = `/orgs/${scope.orgId}/exam-sessions/${session.id}`
    const resultsSample = /href="([^"]+)">Download a sample file/.exec((await client.get(page)).body)?.[1] ?? ''
    assert.equal((await client.get(resultsSample)).body.split('\n')[0], 'email,score')
    assert.equal((await upload(`${page}/results/import`, page, `email,score\n${tia.email},40\n${uma.email},100`)).statusCode, 302)
    assert.match(textOf((await client.get(page)).body), /2 results saved: 1 passed, 1 credentials issued/)
  })
})
