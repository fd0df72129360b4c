import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { and, eq } from 'drizzle-orm'
import { flushCredentialEvents } from '../../src/features/credentials/analytics/analytics.ts'
import { resendDelivery } from '../../src/features/credentials/delivery/delivery.ts'
import { issueCredential } from '../../src/features/credentials/issuance/issuance.ts'
import { credentialEvents } from '../../src/features/credentials/schema.ts'
import {
  cancelExamSessions,
  confirmExamSessions,
  createExamSession,
  registerCandidate,
  saveCentre,
  saveExam,
  saveRoom,
} from '../../src/features/exams/service.ts'
import { mailMessages } from '../../src/platform/mail/schema.ts'
import { liftRestriction, restrictProcessing } from '../../src/platform/privacy/restrictions.ts'
import { newIssuingOrg, newPerson, uniqueEmail } from '../support/factories.ts'
import { startTestApp, type TestApp, type TestClient, textOf } from '../support/harness.ts'
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts'
import { until } from '../support/until.ts'

/** While a person restricts processing: no analytics of their credentials, no email but the account mail they need. */
let testApp: TestApp
let smtp: TestSmtpServer
let issuing: Awaited<ReturnType<typeof newIssuingOrg>>
let staff: TestClient

before(async () => {
  smtp = await startSmtpServer()
  testApp = await startTestApp({ worker: true, env: { SMTP_URL: smtp.url, MAIL_FROM: 'Laurel <no-reply@laurel.test>' } })
  issuing = await newIssuingOrg(testApp)
  staff = testApp.client()
  await staff.signIn(issuing.owner.email, issuing.owner.password)
})
after(async () => {
  await testApp.close()
  await smtp.close()
})

const statusesTo = async (email: string) =>
  (
    await testApp.platform.db.select({ status: mailMessages.status, subject: mailMessages.subject }).from(mailMessages).where(eq(mailMessages.toAddress, email))
  ).map((row) => row.status)

const issueTo = async (email: string) =>
  (await issueCredential(testApp.platform, issuing.scope, { achievementId: issuing.achievementId, recipientEmail: email, recipientName: 'Restricted Holder' }))
    .credential

describe('a restriction of processing', () => {
  it('records no analytics of the restricted holder’s credentials, and records them again once lifted', async () => {
    const email = uniqueEmail('restricted')
    const credential = await issueTo(email)
    const eventsOf = async () => {
      await flushCredentialEvents(testApp.platform)
      return (
        await testApp.platform.db
          .select()
          .from(credentialEvents)
          .where(and(eq(credentialEvents.credentialId, credential.id), eq(credentialEvents.kind, 'page_viewed')))
      ).length
    }
    await restrictProcessing(testApp.platform.db, email.toUpperCase(), 'restriction')
    await testApp.client().get(`/credentials/${credential.id}`)
    await testApp.client().submit('/verify', { id: credential.id })
    assert.equal(await eventsOf(), 0)
    await liftRestriction(testApp.platform.db, email)
    await testApp.client().get(`/credentials/${credential.id}`)
    assert.equal(await eventsOf(), 1)
  })

  it('holds the credential’s email, visibly for staff, and sends it when staff resend after the restriction is lifted', async () => {
    const email = uniqueEmail('restricted')
    await restrictProcessing(testApp.platform.db, email, 'objection')
    const credential = await issueTo(email)
    assert.deepEqual(await statusesTo(email), ['held'])
    const page = await staff.get(`/orgs/${issuing.org.id}/credentials/${credential.id}`)
    assert.match(textOf(page.body), /Held: the recipient restricted processing/)
    await liftRestriction(testApp.platform.db, email)
    await resendDelivery(testApp.platform, issuing.scope, credential.id)
    await smtp.waitForMail(email)
    assert.equal(smtp.received.filter((mail) => mail.to.includes(email)).length, 1, 'the held email never went out')
  })

  it('holds exam candidates’ notices, and marks the candidate for staff', async () => {
    const email = uniqueEmail('candidate')
    await restrictProcessing(testApp.platform.db, email, 'restriction')
    const exam = await saveExam(testApp.platform, issuing.scope, {
      code: 'R-1',
      title: 'Exam',
      durationMinutes: 60,
      passMark: 5,
      maxScore: 10,
      achievementId: null,
    })
    const centre = await saveCentre(testApp.platform, issuing.scope, { code: 'R', name: 'Centre', timeZone: 'UTC' })
    const room = await saveRoom(testApp.platform, issuing.scope, centre.id, { name: 'Room', capacity: 5 })
    const startsAt = new Date(Date.now() + 5 * 86_400_000)
    const session = await createExamSession(testApp.platform, issuing.scope, {
      examId: exam.id,
      roomId: room.id,
      proctorId: null,
      startsAt,
      endsAt: new Date(startsAt.getTime() + 3_600_000),
      seats: 5,
    })
    await registerCandidate(testApp.platform, issuing.scope, session.id, { name: 'Candidate', email })
    await confirmExamSessions(testApp.platform, issuing.scope, [session.id])
    await cancelExamSessions(testApp.platform, issuing.scope, [session.id], 'Room flooded')
    const statuses = await statusesTo(email)
    assert.ok(statuses.length > 0, 'the notices were written')
    assert.ok(
      statuses.every((status) => status === 'held'),
      statuses.join(),
    )
    const page = await staff.get(`/orgs/${issuing.org.id}/exam-sessions/${session.id}`)
    assert.match(textOf(page.body), /Emails held: processing restricted/)
  })

  it('still sends the account mail the person needs: a password reset', async () => {
    const person = await newPerson(testApp)
    await restrictProcessing(testApp.platform.db, person.email, 'restriction')
    const client = testApp.client()
    await client.get('/password/forgot')
    await client.submit('/password/forgot', { email: person.email })
    const mail = await smtp.waitForMail(person.email)
    assert.match(mail.raw.toString(), /password/i)
    await until('the reset email to be marked sent', async () => ((await statusesTo(person.email)).includes('sent') ? true : undefined))
  })
})
