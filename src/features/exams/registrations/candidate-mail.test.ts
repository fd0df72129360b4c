import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eq } from 'drizzle-orm'
import { newOrg, newPerson, type PersonFixture, uniqueEmail, utcHourInDays } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp } from '../../../../test/support/harness.ts'
import { mailMessages } from '../../../platform/mail/schema.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { type Exam, type Room, saveCentre, saveExam, saveRoom } from '../catalog/catalog.ts'
import { cancelExamSessions, createExamSession, type ExamSession, rescheduleExamSession } from '../sessions/sessions.ts'
import { confirmRegistrationImport, listRegistrations, previewRegistrationImport, registerCandidate, removeRegistration } from './registrations.ts'
import { selfRegister, setSelfRegistration, withdrawRegistration } from './self-registration.ts'

const PUBLIC_URL = 'http://laurel.test'
const LINK = `Your exam registrations: ${PUBLIC_URL}/me/exam-registrations`
const TITLE = 'Forklift <Basics> & Safety'
let testApp: TestApp
let scope: OrgScope
let exam: Exam
let room: Room
const HOUR = 3_600_000
let nextDay = 50
/** The date of an instant in Tokyo: UTC+9, with no daylight saving. */
const dateOf = (date: Date) => new Date(date.getTime() + 9 * HOUR).toISOString().slice(0, 10)

/** A new exam session on a day of its own, `from` to `to` o'clock UTC. */
function newSession(seats: number, from = 1, to = 2): Promise<ExamSession> {
  const day = nextDay++
  return createExamSession(testApp.platform, scope, {
    examId: exam.id,
    roomId: room.id,
    proctorId: null,
    startsAt: utcHourInDays(day, from),
    endsAt: utcHourInDays(day, to),
    seats,
  })
}
/** Messages to `to`, oldest first. */
const mailsTo = async (to: string) => (await testApp.platform.mailer.listOutbox(testApp.platform.db, { to })).reverse()
const candidate = (name: string) => ({ name, email: uniqueEmail(name.toLowerCase().replace(/\W/g, '')) })
/** The whole message, as the candidate reads it; `when` is the local start–end. */
const message = (name: string, lead: string, when: string, extra: string[] = []) =>
  [`Dear ${name},`, '', lead, '', `Exam: ${TITLE}`, 'Centre: Tokyo Kanda', 'Room: Room 3', `When: ${when} (Asia/Tokyo)`, ...extra, '', LINK, ''].join('\n')

before(async () => {
  testApp = await startTestApp({ env: { PUBLIC_URL } })
  const created = await newOrg(testApp, 'Mail Org')
  scope = { orgId: created.org.id, accountId: created.owner.account.id, role: 'owner' }
  exam = await saveExam(testApp.platform, scope, { code: 'FL-1', title: TITLE, durationMinutes: 60, passMark: 5, maxScore: 10, achievementId: null })
  const centre = await saveCentre(testApp.platform, scope, { code: 'TYO', name: 'Tokyo Kanda', timeZone: 'Asia/Tokyo' })
  room = await saveRoom(testApp.platform, scope, centre.id, { name: 'Room 3', capacity: 100 })
})
after(() => testApp.close())

describe('candidate mail', () => {
  it('staff registration tells each candidate seated or their waitlist number; removal tells the removed one and the one promoted', async () => {
    const { platform } = testApp
    const session = await newSession(1)
    const day = dateOf(session.startsAt)
    const when = `${day} 10:00–11:00`
    const [ann, bob, cat] = [candidate("Ann O'Neil & Co"), candidate('Bob'), candidate('Cat')]
    const seated = await registerCandidate(platform, scope, session.id, ann)
    await registerCandidate(platform, scope, session.id, bob)
    await registerCandidate(platform, scope, session.id, cat)

    const [annMail, ...annRest] = await mailsTo(ann.email)
    assert.deepEqual(annRest, [])
    assert.equal(annMail?.subject, `Registered: ${TITLE} on ${day}`)
    assert.equal(annMail?.text, message("Ann O'Neil & Co", 'You are registered for this exam session: a seat is yours.', when))
    const waitlisted = (position: number) =>
      `You are on the waitlist (number ${position}) for this exam session. When a seat is free, it goes to the first on the waitlist, and we email you.`
    for (const [person, position] of [
      [bob, 1],
      [cat, 2],
    ] as const) {
      const mails = await mailsTo(person.email)
      assert.deepEqual(
        mails.map((mail) => [mail.subject, mail.text]),
        [[`Waitlisted: ${TITLE} on ${day}`, message(person.name, waitlisted(position), when)]],
      )
    }

    await removeRegistration(platform, scope, session.id, seated.id)
    const annMails = await mailsTo(ann.email)
    assert.equal(annMails.length, 2)
    assert.equal(annMails[1]?.subject, `Registration removed: ${TITLE} on ${day}`)
    assert.equal(annMails[1]?.text, message("Ann O'Neil & Co", 'Your registration was removed by the organisers of this exam session.', when))
    const bobMails = await mailsTo(bob.email)
    assert.equal(bobMails.length, 2)
    assert.equal(bobMails[1]?.subject, `A seat is free: ${TITLE} on ${day}`)
    assert.equal(bobMails[1]?.text, message('Bob', 'A seat is free: you are now registered for this exam session.', when))
    assert.equal((await mailsTo(cat.email)).length, 1, 'Cat stays on the waitlist, untold')

    // More seats seat the waitlist, and say so.
    await rescheduleExamSession(platform, scope, session.id, { roomId: room.id, proctorId: null, startsAt: session.startsAt, endsAt: session.endsAt, seats: 2 })
    assert.equal((await mailsTo(cat.email)).at(-1)?.subject, `A seat is free: ${TITLE} on ${day}`)
  })

  it('self-registration and withdrawal are confirmed; an end on the next local day shows its date', async () => {
    const { platform } = testApp
    const session = await newSession(1, 14, 16)
    await setSelfRegistration(platform, scope, session.id, { open: true, closesAt: null })
    const when = `${dateOf(session.startsAt)} 23:00–${dateOf(session.endsAt)} 01:00`
    const day = dateOf(session.startsAt)
    const [dee, eli]: PersonFixture[] = await Promise.all(['Dee', 'Eli'].map((name) => newPerson(testApp, { name })))
    assert.ok(dee && eli)
    const mine = await selfRegister(platform, { accountId: dee.account.id, name: 'Dee' }, scope.orgId, session.id, dee.email)
    await selfRegister(platform, { accountId: eli.account.id, name: 'Eli' }, scope.orgId, session.id, eli.email)
    await withdrawRegistration(platform, dee.account.id, mine.id)

    assert.deepEqual(
      (await mailsTo(dee.email)).map((mail) => [mail.subject, mail.text]),
      [
        [`Registered: ${TITLE} on ${day}`, message('Dee', 'You are registered for this exam session: a seat is yours.', when)],
        [`Withdrawn: ${TITLE} on ${day}`, message('Dee', 'You withdrew your registration for this exam session.', when)],
      ],
    )
    assert.deepEqual(
      (await mailsTo(eli.email)).map((mail) => mail.subject),
      [`Waitlisted: ${TITLE} on ${day}`, `A seat is free: ${TITLE} on ${day}`],
    )
  })

  it('a CSV import of N rows queues N messages, one per candidate; a failed import queues none', async () => {
    const { platform } = testApp
    const sessions = [await newSession(40), await newSession(40)]
    const people = Array.from({ length: 60 }, (_, i) => candidate(`Row ${i + 1}`))
    const csv = ['session,name,email', ...people.map((person, i) => `${sessions[i % 2]?.id},${person.name},${person.email}`)].join('\n')
    const countMails = () => platform.db.$count(mailMessages, eq(mailMessages.orgId, scope.orgId))
    const before = await countMails()
    const preview = await previewRegistrationImport(platform, scope, { fileName: 'many.csv', content: Buffer.from(csv) })
    assert.deepEqual(await confirmRegistrationImport(platform, scope, preview.id), { saved: 60 })
    assert.equal((await countMails()) - before, 60)
    for (const [i, person] of people.entries()) {
      const mails = await mailsTo(person.email)
      const day = dateOf((sessions[i % 2] as ExamSession).startsAt)
      assert.deepEqual(
        mails.map((mail) => mail.subject),
        [`Registered: ${TITLE} on ${day}`],
      )
    }

    // A stale preview rolls back: nobody is registered, nobody is told.
    const small = await newSession(1)
    const late = candidate('Late')
    const stale = await previewRegistrationImport(platform, scope, {
      fileName: 'stale.csv',
      content: Buffer.from(`session,name,email\n${small.id},Late,${late.email}`),
    })
    await registerCandidate(platform, scope, small.id, candidate('Early'))
    await assert.rejects(confirmRegistrationImport(platform, scope, stale.id), /filled up since the preview/)
    assert.deepEqual(await mailsTo(late.email), [])
    assert.deepEqual(
      (await listRegistrations(platform.db, scope, small.id)).map((row) => row.name),
      ['Early'],
    )
  })

  it('cancellation uses the same message, with the reason', async () => {
    const session = await newSession(5, 5, 6)
    const fay = candidate('Fay')
    await registerCandidate(testApp.platform, scope, session.id, fay)
    await cancelExamSessions(testApp.platform, scope, [session.id], 'Typhoon warning\nCall us')
    const day = dateOf(session.startsAt)
    assert.deepEqual(
      (await mailsTo(fay.email)).map((mail) => [mail.subject, mail.text]),
      [
        [`Registered: ${TITLE} on ${day}`, message('Fay', 'You are registered for this exam session: a seat is yours.', `${day} 14:00–15:00`)],
        [`Cancelled: ${TITLE} on ${day}`, message('Fay', 'This exam session is cancelled.', `${day} 14:00–15:00`, ['', 'Reason: Typhoon warning Call us'])],
      ],
    )
  })

  it('a reschedule to another time tells every candidate, seated or waitlisted, the new and the old time; a seats-only change tells nobody', async () => {
    const session = await newSession(1, 5, 6)
    const gus = candidate('Gus')
    const hal = candidate('Hal')
    await registerCandidate(testApp.platform, scope, session.id, gus)
    await registerCandidate(testApp.platform, scope, session.id, hal)
    const later = {
      roomId: room.id,
      proctorId: null,
      startsAt: new Date(session.startsAt.getTime() + 2 * HOUR),
      endsAt: new Date(session.endsAt.getTime() + 2 * HOUR),
    }
    await rescheduleExamSession(testApp.platform, scope, session.id, { ...later, seats: 1 })
    await rescheduleExamSession(testApp.platform, scope, session.id, { ...later, seats: 1 })
    const day = dateOf(session.startsAt)
    const moved = (name: string) =>
      message(name, 'Your exam session has moved: the room and time below are the new ones, and your registration stays as it was.', `${day} 16:00–17:00`, [
        '',
        `Before: room Room 3, ${day} 14:00–15:00 (Asia/Tokyo)`,
      ])
    for (const [person, name] of [
      [gus, 'Gus'],
      [hal, 'Hal'],
    ] as const) {
      const mails = await mailsTo(person.email)
      assert.equal(mails.length, 2, `${name}: registration and one move`)
      assert.deepEqual([mails[1]?.subject, mails[1]?.text], [`Moved: ${TITLE} on ${day}`, moved(name)])
    }
  })

  it('keeps a name on its own line: a line break in it cannot add lines to the message', async () => {
    const session = await newSession(5)
    const email = uniqueEmail('liner')
    await registerCandidate(testApp.platform, scope, session.id, { name: 'Mal\nVisit http://evil.example to pay', email })
    const [mail] = await mailsTo(email)
    assert.ok(mail?.text.startsWith('Dear Mal Visit http://evil.example to pay,\n\nYou are registered'))
  })
})
