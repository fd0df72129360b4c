import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { parse } from 'csv-parse/sync'
import { eq } from 'drizzle-orm'
import { newIssuingOrg, newPerson, uniqueEmail, utcHourInDays } from '../../../../test/support/factories.ts'
import { scratchFolder, startTestApp, type TestApp, type TestClient, textOf } from '../../../../test/support/harness.ts'
import { mailParts, startSmtpServer, type TestSmtpServer } from '../../../../test/support/smtp.ts'
import { listAuditEntries } from '../../../platform/audit/query.ts'
import { eraseSubject, exportSubject } from '../../../platform/privacy/registry.ts'
import { issueCredentials } from '../../credentials/issuance/issuance.ts'
import { saveCentre, saveExam, saveProctor, saveRoom } from '../../exams/catalog/catalog.ts'
import { registerCandidate } from '../../exams/registrations/registrations.ts'
import { createExamSession } from '../../exams/sessions/sessions.ts'
import { addMember, type OrgScope } from '../../orgs/service.ts'
import { breachAffectedPeople } from './schema.ts'
import { LETTER_ELEMENTS } from './service.ts'

const run = promisify(execFile)
let testApp: TestApp
let smtp: TestSmtpServer
let scope: OrgScope
let staff: TestClient
let scratch: string
let achievementId: string
let ownerEmail: string
let apiKey: string
/** Set by the letters test: a candidate with no account, affected by its incident. */
let candidateEmail: string

/** Each element's heading and the distinctive text staff wrote for it, which the letter must carry. */
const ELEMENT_TEXTS = {
  whatHappened: 'A laptop holding an export of candidate records was stolen from a car.',
  measuresTaken: 'We reported the theft to the police and revoked the laptop’s access.',
  whatPeopleCanDo: 'Watch for emails that pretend to come from us.',
  contactInfo: 'Write to privacy@northwind.example or call +44 20 7946 0000.',
  protectionMeasures: 'The laptop’s disk was encrypted and its sessions were signed out remotely.',
  advice: 'Change your password and turn on two-factor sign-in.',
  cureSteps: 'Every staff laptop gets remote wipe and exports expire after a day.',
  cureTimeframe: 'By 31 January 2027.',
}

const incidentForm = (overrides: Record<string, string | string[]> = {}) => ({
  title: 'Stolen laptop',
  occurredAt: '2026-12-01T09:30',
  discoveredAt: '2026-12-02T14:00',
  dataCategories: ['credentials.credentials', 'exams.exam_registrations'],
  ...ELEMENT_TEXTS,
  ...overrides,
})

async function pdfText(bytes: Buffer): Promise<string> {
  const file = join(scratch, `report-${Date.now()}.pdf`)
  await writeFile(file, bytes)
  return (await run('pdftotext', ['-enc', 'UTF-8', file, '-'])).stdout
}

const LETTER_SUBJECT = /personal data breach/i
const isLetter = (raw: Buffer) => LETTER_SUBJECT.test(raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '')

/** The text of the breach letter the SMTP server received for `email`. */
async function waitForLetter(email: string): Promise<string> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const mail = smtp.received.find((candidate) => candidate.to.includes(email.toLowerCase()) && isLetter(candidate.raw))
    if (mail)
      return mailParts(mail.raw)
        .map((part) => part.body)
        .join('\n')
    assert.ok(Date.now() < deadline, `No breach letter reached ${email}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Waits until the mail server has accepted every letter of the incident. */
async function waitUntilSent(incidentUrl: string): Promise<void> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const rows = parse((await staff.get(`${incidentUrl}/regulator.csv`)).body, { columns: true }) as { letter_status: string }[]
    if (rows.every((row) => row.letter_status === 'sent')) return
    assert.ok(Date.now() < deadline, `Letters not all sent: ${rows.map((row) => row.letter_status).join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

before(async () => {
  smtp = await startSmtpServer()
  testApp = await startTestApp({ worker: true, env: { SMTP_URL: smtp.url } })
  // 20 hours after the discovery the tests record, less a minute so the test's own run time cannot cross an hour.
  testApp.clock.advance(new Date('2026-12-03T09:59:00Z').getTime() - Date.now())
  scratch = await scratchFolder('breach-')
  const org = await newIssuingOrg(testApp)
  scope = org.scope
  achievementId = org.achievementId
  ownerEmail = org.owner.email
  apiKey = org.apiKey
  staff = testApp.client()
  await staff.signIn(org.owner.email, org.owner.password)
})
after(async () => {
  await testApp.close()
  await smtp.close()
})

describe('breach register', () => {
  it('refuses an incident missing elements, naming each one that is missing', async () => {
    const response = await staff.submit(`/orgs/${scope.orgId}/privacy/breaches`, incidentForm({ advice: '', cureTimeframe: '', dataCategories: [] }))
    assert.equal(response.statusCode, 422)
    const text = textOf(response.body)
    assert.match(text, /Give advice on protecting themselves \(element 7/)
    assert.match(text, /Say by when those steps will be done \(element 8/)
    assert.match(text, /Choose at least one kind of data involved \(element 2/)
    const list = await staff.get(`/orgs/${scope.orgId}/privacy/breaches`)
    assert.match(textOf(list.body), /No breach is recorded/)
  })

  it('finds every affected person once, sends each a letter with all eight elements over SMTP, and exports each person once as CSV and PDF', async () => {
    const { platform } = testApp
    const both = await newPerson(testApp, { name: 'Bea Both' })
    const member = await newPerson(testApp, { name: 'Max Member' })
    await addMember(platform, scope, { accountId: member.account.id, role: 'member' })
    const onlyCandidate = uniqueEmail('candidate')
    testApp.personalData.add(onlyCandidate)
    candidateEmail = onlyCandidate
    // Bea holds two credentials and sits an exam: she is found three times and must appear once.
    await issueCredentials(platform, scope, [
      { achievementId: achievementId, recipientEmail: both.email, recipientName: 'Bea Both' },
      { achievementId: achievementId, recipientEmail: both.email.toUpperCase(), recipientName: 'Bea Both' },
    ])
    const exam = await saveExam(platform, scope, { code: 'SEC-1', title: 'Security', durationMinutes: 60, passMark: 50, maxScore: 100, achievementId: null })
    const centre = await saveCentre(platform, scope, { code: 'LDN', name: 'London', timeZone: 'Europe/London' })
    const room = await saveRoom(platform, scope, centre.id, { name: 'Room 1', capacity: 10 })
    const proctor = await saveProctor(platform, scope, { name: 'Pat Proctor', email: uniqueEmail('proctor'), memberId: null })
    const session = await createExamSession(platform, scope, {
      examId: exam.id,
      roomId: room.id,
      proctorId: proctor.id,
      startsAt: utcHourInDays(30, 9),
      endsAt: utcHourInDays(30, 10),
      seats: 5,
    })
    await registerCandidate(platform, scope, session.id, { name: 'Bea Both', email: both.email })
    await registerCandidate(platform, scope, session.id, { name: 'Cody Candidate', email: onlyCandidate })

    const recorded = await staff.submit(`/orgs/${scope.orgId}/privacy/breaches`, incidentForm())
    assert.equal(recorded.statusCode, 302, textOf(recorded.body).slice(0, 500))
    const incidentUrl = String(recorded.headers.location)
    const incidentId = incidentUrl.split('/').pop() ?? ''

    const list = textOf((await staff.get(`/orgs/${scope.orgId}/privacy/breaches`)).body)
    assert.match(list, /Stolen laptop/)
    assert.match(list, /2 d 4 h left/, 'discovered 20 hours ago: 52 hours remain of the 72')

    const query = { dataCategories: ['credentials.credentials', 'exams.exam_registrations', 'orgs.members'] }
    const preview = textOf((await staff.submit(`${incidentUrl}/affected/preview`, query)).body)
    assert.match(preview, /The query finds 4 people/, 'Bea, Cody, Max and the owner, each once')
    assert.equal(preview.split(both.email.toLowerCase()).length - 1, 1, 'Bea is listed once in the preview')
    const saved = await staff.submit(`${incidentUrl}/affected`, query)
    assert.equal(saved.statusCode, 302)
    assert.equal((await staff.submit(`${incidentUrl}/affected`, query)).statusCode, 302, 'saving again adds no one twice')

    const letterPreview = textOf((await staff.get(`${incidentUrl}/letter`)).body)
    for (const text of Object.values(ELEMENT_TEXTS)) assert.ok(letterPreview.includes(text), text)

    const sent = await staff.submit(`${incidentUrl}/letters`, {})
    assert.equal(sent.statusCode, 302)
    const withProgress = await staff.get(String(sent.headers.location))
    assert.match(withProgress.body, /class="job-progress"/, 'the page shows the letters job’s progress')
    const audit = await listAuditEntries(platform.db, { orgId: scope.orgId })
    const actions = audit.items.map((entry) => entry.action)
    assert.ok(actions.includes('privacy.breach_recorded'))
    assert.ok(actions.includes('privacy.breach_letters_sent'))

    const people = [both.email, member.email, onlyCandidate]
    for (const email of people) {
      const letter = await waitForLetter(email)
      for (const [i, element] of LETTER_ELEMENTS.entries()) assert.ok(letter.includes(`${i + 1}. ${element.heading}`), `${email}: element ${i + 1}`)
      for (const text of Object.values(ELEMENT_TEXTS)) assert.ok(letter.includes(text), `${email}: ${text}`)
      assert.match(letter, /happened on 2026-12-01 09:30 \(UTC\) and we discovered it on 2026-12-02 14:00 \(UTC\)/)
      assert.match(letter, /Credentials: recipient email/, 'what information was involved, in words')
    }
    assert.equal(smtp.received.filter((mail) => mail.to.includes(both.email.toLowerCase()) && isLetter(mail.raw)).length, 1, 'Bea receives one letter')

    await waitUntilSent(incidentUrl)
    const csv = await staff.get(`${incidentUrl}/regulator.csv`)
    assert.equal(csv.statusCode, 200)
    const rows = parse(csv.body, { columns: true }) as { email: string; letter_status: string }[]
    assert.equal(rows.length, 4)
    assert.deepEqual(
      rows.map((row) => row.email).sort(),
      [...people.map((email) => email.toLowerCase()), ownerEmail.toLowerCase()].sort(),
      'every affected person exactly once',
    )
    for (const row of rows) assert.equal(row.letter_status, 'sent')

    const pdf = await staff.get(`${incidentUrl}/report.pdf`)
    assert.equal(pdf.headers['content-type'], 'application/pdf')
    const text = (await pdfText(pdf.rawPayload)).replace(/\s+/g, ' ')
    for (const [i, element] of LETTER_ELEMENTS.entries()) assert.ok(text.includes(`${i + 1}. ${element.heading}`), `PDF element ${i + 1}`)
    for (const value of Object.values(ELEMENT_TEXTS)) assert.ok(text.includes(value), `PDF: ${value}`)
    assert.match(text, /Affected people \(4\)/)
    for (const email of people) assert.ok(text.includes(email.toLowerCase()), `PDF lists ${email}`)
    assert.ok(incidentId.startsWith('brch_'))
  })

  it('flags an incident past the 72-hour deadline and stops the clock when the regulator is told', async () => {
    const recorded = await staff.submit(
      `/orgs/${scope.orgId}/privacy/breaches`,
      incidentForm({ title: 'Old misdirected email', occurredAt: '2026-11-20T08:00', discoveredAt: '2026-11-29T08:00' }),
    )
    const incidentUrl = String(recorded.headers.location)
    const list = textOf((await staff.get(`/orgs/${scope.orgId}/privacy/breaches`)).body)
    assert.match(list, /past the regulator's 72-hour deadline/)
    assert.match(list, /overdue by 1 d 1 h/, 'due 2026-12-02 08:00, now 2026-12-03 09:59')
    await staff.submit(`${incidentUrl}/regulator-notified`, {})
    assert.match(textOf((await staff.get(incidentUrl)).body), /regulator notified/)
  })

  it('takes incidents through the API too, naming the missing elements in the problem', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${scope.orgId}/breaches`,
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { ...incidentForm({ whatPeopleCanDo: ' ', contactInfo: '' }), occurredAt: '2026-12-01T09:30:00Z', discoveredAt: '2026-12-02T14:00:00Z' },
    })
    assert.equal(response.statusCode, 422, response.body)
    assert.match(response.body, /fix the letter's elements 4\. What you can do; 5\. For more information \(whatPeopleCanDo, contactInfo\)/)
    assert.match(response.body, /Give how to get more information: a contact \(element 5/)
  })

  it('exports the incidents a person is affected by, and on erasure keeps only their address as proof they were told', async () => {
    const { platform } = testApp
    const subject = { accountId: null, email: candidateEmail }
    const exported = (await exportSubject(platform.db, platform.privacyProviders, subject))['privacy-center.breach'] as {
      breachesAffectingYou: { title: string }[]
    }
    assert.deepEqual(
      exported.breachesAffectingYou.map((row) => row.title),
      ['Stolen laptop'],
    )
    await eraseSubject(platform.db, platform.memo, platform.privacyProviders, subject)
    const [person] = await platform.db.select().from(breachAffectedPeople).where(eq(breachAffectedPeople.email, candidateEmail))
    assert.equal(person?.name, '', 'the name goes')
    assert.equal(person?.email, candidateEmail, 'the address stays, as declared in retainedAfterErasure')
  })

  it('answers 404 for another organisation’s incident', async () => {
    const other = await newIssuingOrg(testApp)
    const outsider = testApp.client()
    await outsider.signIn(other.owner.email, other.owner.password)
    const [incident] = (await staff.request({ method: 'GET', url: `/api/v1/orgs/${scope.orgId}/breaches`, headers: { accept: 'application/json' } })).json()
    assert.ok(incident)
    assert.equal((await outsider.get(`/orgs/${other.org.id}/privacy/breaches/${incident.id}`)).statusCode, 404)
    assert.equal((await outsider.get(`/orgs/${other.org.id}/privacy/breaches/${incident.id}/regulator.csv`)).statusCode, 404)
    const viaApi = await testApp.app.inject({
      method: 'GET',
      url: `/api/v1/orgs/${other.org.id}/breaches/${incident.id}`,
      headers: { authorization: `Bearer ${other.apiKey}` },
    })
    assert.equal(viaApi.statusCode, 404)
  })
})
