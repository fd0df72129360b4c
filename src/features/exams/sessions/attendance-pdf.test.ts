import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { moveExamSession, newOrg, newPerson, type PersonFixture, uniqueEmail, utcHourInDays } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, type TestClient } from '../../../../test/support/harness.ts'
import { drawnGlyphCodes, pdfText as extractText, SCRIPT_NAMES, shapedGlyphs } from '../../../../test/support/pdf.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { addMember } from '../../orgs/service.ts'
import { type Exam, saveCentre, saveExam, saveProctor, saveRoom } from '../catalog/catalog.ts'
import { checkInCandidate, confirmRegistrationImport, previewRegistrationImport, registerCandidate } from '../registrations/registrations.ts'
import { type AttendanceSheet, renderAttendanceSheet } from './attendance-pdf.ts'
import { createExamSession, type ExamSession } from './sessions.ts'

const run = promisify(execFile)
let testApp: TestApp
let scope: OrgScope
let owner: PersonFixture
let exam: Exam
let roomId: string
let proctorId: string
let scratch: string
let staff: TestClient
let nextDay = 20

async function newSession(seats: number): Promise<ExamSession> {
  const day = nextDay++
  return createExamSession(testApp.platform, scope, {
    examId: exam.id,
    roomId,
    proctorId,
    startsAt: utcHourInDays(day, 8),
    endsAt: utcHourInDays(day, 10),
    seats,
  })
}

let fileCount = 0
async function pdfText(bytes: Buffer): Promise<string> {
  const file = join(scratch, `sheet-${fileCount++}.pdf`)
  await writeFile(file, bytes)
  return (await run('pdftotext', ['-enc', 'UTF-8', file, '-'])).stdout
}
async function pageCount(bytes: Buffer): Promise<number> {
  const file = join(scratch, `sheet-${fileCount++}.pdf`)
  await writeFile(file, bytes)
  const { stdout, stderr } = await run('pdfinfo', [file])
  assert.equal(stderr, '', 'poppler reads the PDF without complaint')
  return Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1])
}
const sheetOf = async (session: ExamSession) => {
  const response = await staff.get(`/orgs/${scope.orgId}/exam-sessions/${session.id}/attendance.pdf`)
  assert.equal(response.statusCode, 200, response.body.slice(0, 300))
  return { response, bytes: response.rawPayload }
}

before(async () => {
  testApp = await startTestApp()
  scratch = await mkdtemp(join(tmpdir(), 'laurel-attendance-'))
  const created = await newOrg(testApp, 'Attendance Org')
  owner = created.owner
  scope = { orgId: created.org.id, accountId: owner.account.id, role: 'owner' }
  const { platform } = testApp
  exam = await saveExam(platform, scope, { code: 'PHY-101', title: 'Physics Basics', durationMinutes: 120, passMark: 50, maxScore: 100, achievementId: null })
  const centre = await saveCentre(platform, scope, { code: 'TYO', name: 'Tokyo Shinjuku', timeZone: 'Asia/Tokyo' })
  roomId = (await saveRoom(platform, scope, centre.id, { name: 'Hall 3', capacity: 200 })).id
  proctorId = (await saveProctor(platform, scope, { name: 'Olga Proctorova', email: uniqueEmail('proctor'), memberId: null })).id
  staff = testApp.client()
  await staff.signIn(owner.email, owner.password)
})
after(async () => {
  await rm(scratch, { recursive: true, force: true })
  await testApp.close()
})

describe('attendance sheet PDF', () => {
  it('names the exam, centre, room, time in the centre’s zone and proctor, and every seated candidate in any script; the waitlist apart', async () => {
    const { platform } = testApp
    const session = await newSession(4)
    const names = ['Amélie Durand', 'Дмитрий Иванов', '王小明', 'Νίκος Παπαδόπουλος']
    const seated = []
    for (const name of names) seated.push(await registerCandidate(platform, scope, session.id, { name, email: uniqueEmail('seated') }))
    await registerCandidate(platform, scope, session.id, { name: 'Wendy Waitlisted', email: uniqueEmail('waiting') })
    const first = seated[0]
    assert.ok(first)
    const minutesAhead = (session.startsAt.getTime() - platform.clock.now().getTime()) / 60_000
    await moveExamSession(testApp, session.id, 30) // check-in opens an hour before the start
    await checkInCandidate(platform, scope, session.id, first.id)
    await moveExamSession(testApp, session.id, minutesAhead)

    const { response, bytes } = await sheetOf(session)
    assert.equal(response.headers['content-type'], 'application/pdf')
    assert.equal(response.headers['cache-control'], 'private, no-store')
    assert.match(String(response.headers['content-disposition']), /^attachment; filename="attendance-PHY-101-\d{4}-\d{2}-\d{2}-exs_[0-9a-z]+\.pdf"$/)
    assert.equal(await pageCount(bytes), 1)
    const text = await pdfText(bytes)
    for (const expected of [
      'Attendance sheet',
      'Physics Basics',
      'PHY-101',
      'Tokyo Shinjuku',
      'Hall 3',
      '(Asia/Tokyo)',
      'Olga Proctorova',
      'Seated candidates (4)',
      'Signature',
      ...names,
      ...seated.map((row) => row.email),
    ]) {
      assert.ok(text.includes(expected), `the sheet shows ${expected}:\n${text}`)
    }
    // Exam sessions start at 08:00 UTC in this test, which is 17:00 in Tokyo.
    assert.match(text, /\d{4}-\d{2}-\d{2} 17:00–19:00 \(Asia\/Tokyo\)/)
    assert.ok(/Waitlist \(1\)/.test(text) && text.indexOf('Wendy Waitlisted') > text.indexOf('Waitlist (1)'), 'the waitlist is listed apart, after the seated')
    assert.match(text, /checked in: 1/)
  })

  it('breaks 120 candidates over several numbered pages and still names each one', async () => {
    const { platform } = testApp
    const session = await newSession(120)
    const rows = Array.from({ length: 120 }, (_, i) => ({ name: `Candidate ${String(i + 1).padStart(3, '0')} Ōkubo`, email: uniqueEmail(`c${i + 1}`) }))
    const preview = await previewRegistrationImport(platform, scope, {
      fileName: 'many.csv',
      content: Buffer.from(['session,name,email', ...rows.map((row) => `${session.id},${row.name},${row.email}`)].join('\n')),
    })
    assert.equal((await confirmRegistrationImport(platform, scope, preview.id)).saved, 120)
    const { bytes } = await sheetOf(session)
    const pages = await pageCount(bytes)
    assert.ok(pages > 1, `120 candidates take more than one page (got ${pages})`)
    const text = await pdfText(bytes)
    for (const row of rows) assert.ok(text.includes(row.name), `${row.name} is on the sheet`)
    assert.ok(text.includes(`Page ${pages} of ${pages}`))
    assert.ok(text.includes('Seated candidates (continued)'))
  })

  it('draws a candidate line in every script with every glyph HarfBuzz shapes the name into, none a missing-glyph box', async () => {
    const sheetWith = (name: string): AttendanceSheet => ({
      examCode: 'PHY-101',
      examTitle: 'Physics Basics',
      centreName: 'Tokyo Shinjuku',
      roomName: 'Hall 3',
      timeZone: 'Asia/Tokyo',
      startsAt: new Date('2026-05-04T08:00:00Z'),
      endsAt: new Date('2026-05-04T10:00:00Z'),
      proctorName: 'Olga Proctorova',
      seats: 10,
      seated: [{ name, email: 'candidate@example.org', checkedInAt: null }],
      waitlisted: [],
      printedAt: new Date('2026-05-01T09:00:00Z'),
    })
    const baseline = await drawnGlyphCodes(await renderAttendanceSheet(sheetWith('A')))
    for (const { script, name, fonts } of SCRIPT_NAMES) {
      const bytes = await renderAttendanceSheet(sheetWith(name))
      const drawn = await drawnGlyphCodes(bytes)
      assert.ok(!drawn.includes(0), `${script}: no .notdef glyph is drawn`)
      const shaped = await shapedGlyphs(name, fonts.regular)
      assert.equal(drawn.length - (baseline.length - 1), shaped.length, `${script}: ${name} is drawn with ${shaped.length} glyphs`)
      assert.ok((await extractText(bytes)).includes(name), `${script}: ${name} is read back from the sheet`)
    }
  })

  it('is for the org’s staff only', async () => {
    const session = await newSession(2)
    const member = await newPerson(testApp)
    await addMember(testApp.platform, scope, { accountId: member.account.id, role: 'member' })
    const client = testApp.client()
    await client.signIn(member.email, member.password)
    assert.equal((await client.get(`/orgs/${scope.orgId}/exam-sessions/${session.id}/attendance.pdf`)).statusCode, 403)
  })
})
