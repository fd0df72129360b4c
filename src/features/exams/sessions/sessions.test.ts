import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { and, count, eq, like } from 'drizzle-orm'
import { newOrg, newPerson, utcHourInDays } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { auditEntries } from '../../../platform/audit/schema.ts'
import { utcToZoned, zonedToUtc } from '../../../platform/time-zones.ts'
import { addMember, type OrgScope } from '../../orgs/service.ts'
import { type Exam, type Proctor, type Room, saveCentre, saveExam, saveProctor, saveRoom, setArchived } from '../catalog/catalog.ts'
import { examSessions, rooms } from '../schema.ts'
import { confirmExamSessionImport, previewExamSessionImport } from './bulk.ts'
import { cancelExamSessions, confirmExamSessions, createExamSession, listExamSessions, rescheduleExamSession } from './sessions.ts'

let testApp: TestApp
let scope: OrgScope
let owner: Awaited<ReturnType<typeof newPerson>>
let exam: Exam
let roomA: Room
let roomB: Room
let proctor: Proctor
const ZONE = 'Europe/London'
const HOUR = 3_600_000
const DAY = 24 * HOUR

/** Read once, so two times on the same day stay on the same day when a test runs past midnight. */
const NOW = Date.now()
/** "YYYY-MM-DD HH:MM" in London, `days` from the day the tests started. */
const londonTime = (days: number, time: string) => `${utcToZoned(new Date(NOW + days * DAY), ZONE).slice(0, 10)} ${time}`
const londonInstant = (days: number, time: string) => zonedToUtc(londonTime(days, time), ZONE) ?? new Date(Number.NaN)
const sessionCount = async () => {
  const [row] = await testApp.platform.db.select({ total: count() }).from(examSessions).where(eq(examSessions.orgId, scope.orgId))
  return row?.total ?? 0
}
const plan = (overrides: Partial<Parameters<typeof createExamSession>[2]> = {}) => ({
  examId: exam.id,
  roomId: roomA.id,
  proctorId: proctor.id,
  startsAt: utcHourInDays(40, 9),
  endsAt: utcHourInDays(40, 10),
  seats: 10,
  ...overrides,
})

before(async () => {
  testApp = await startTestApp()
  const created = await newOrg(testApp)
  owner = created.owner
  scope = { orgId: created.org.id, accountId: owner.account.id, role: 'owner' }
  const { platform } = testApp
  exam = await saveExam(platform, scope, { code: 'FA-101', title: 'First Aid', durationMinutes: 60, passMark: 70, maxScore: 100, achievementId: null })
  const centre = await saveCentre(platform, scope, { code: 'LON', name: 'London Bridge', timeZone: ZONE })
  roomA = await saveRoom(platform, scope, centre.id, { name: 'A', capacity: 20 })
  roomB = await saveRoom(platform, scope, centre.id, { name: 'B', capacity: 10 })
  proctor = await saveProctor(platform, scope, { name: 'Pat Proctor', email: 'Pat@Example.org', memberId: null })
})
after(() => testApp.close())

describe('catalog', () => {
  it('keeps exam codes unique per org and the pass mark within the maximum score', async () => {
    await assert.rejects(
      saveExam(testApp.platform, scope, { code: 'fa-101', title: 'Dup', durationMinutes: 30, passMark: 1, maxScore: 2, achievementId: null }),
      /already used/,
    )
    await assert.rejects(
      saveExam(testApp.platform, scope, { code: 'X-1', title: 'X', durationMinutes: 30, passMark: 5, maxScore: 2, achievementId: null }),
      /above the maximum/,
    )
    await assert.rejects(
      saveExam(testApp.platform, scope, { code: 'X-2', title: 'X', durationMinutes: 30, passMark: 1, maxScore: 2, achievementId: 'ach_nope' }),
      /active achievements/,
    )
    assert.equal(proctor.email, 'pat@example.org')
  })
})

describe('catalog pages', () => {
  it('show empty states, create with validation, and refuse another org’s exam sessions', async () => {
    const other = await newOrg(testApp, 'Other Org')
    const client = testApp.client()
    await client.signIn(other.owner.email, other.owner.password)
    const base = `/orgs/${other.org.id}`
    for (const [path, empty] of [
      ['exams', /No exams yet/],
      ['test-centres', /No testing centres yet/],
      ['proctors', /No proctors yet/],
      ['exam-sessions', /No exam sessions yet/],
    ] as const) {
      const page = await client.get(`${base}/${path}`)
      assert.equal(page.statusCode, 200, path)
      assert.match(textOf(page.body), empty)
    }
    await client.get(`${base}/exams/new`)
    const bad = await client.submit(`${base}/exams`, { code: 'bad code!', title: '', durationMinutes: '0', passMark: '5', maxScore: '10' })
    assert.equal(bad.statusCode, 422)
    assert.match(textOf(bad.body), /Code: 1 to 32 letters/)
    assert.match(textOf(bad.body), /Give the exam a title/)
    const good = await client.submit(`${base}/exams`, { code: 'OT-1', title: 'Other', durationMinutes: '45', passMark: '5', maxScore: '10', achievementId: '' })
    assert.equal(good.statusCode, 302)
    const duplicate = await client.submit(`${base}/exams`, { code: 'ot-1', title: 'Again', durationMinutes: '45', passMark: '5', maxScore: '10' })
    assert.equal(duplicate.statusCode, 422)
    assert.match(textOf(duplicate.body), /already used/)
    const mine = await createExamSession(testApp.platform, scope, plan({ startsAt: utcHourInDays(43, 9), endsAt: utcHourInDays(43, 10) }))
    const otherScope = { orgId: other.org.id, accountId: other.owner.account.id, role: 'owner' as const }
    await assert.rejects(confirmExamSessions(testApp.platform, otherScope, [mine.id]), /No exam session/)
    await cancelExamSessions(testApp.platform, scope, [mine.id], 'clean up')
  })
})

describe('scheduling one exam session', () => {
  it('refuses the past, an end before the start, more seats than the room holds and a double-booked room', async () => {
    const { platform } = testApp
    await assert.rejects(createExamSession(platform, scope, plan({ startsAt: utcHourInDays(-1, 9), endsAt: utcHourInDays(-1, 10) })), /starts in the past/)
    await assert.rejects(createExamSession(platform, scope, plan({ endsAt: utcHourInDays(40, 8) })), /ends before it starts/)
    await assert.rejects(createExamSession(platform, scope, plan({ roomId: roomB.id, seats: 11 })), /over capacity: 11 seats, but room B holds 10/)
    await assert.rejects(createExamSession(platform, scope, plan({ examId: 'exam_unknown' })), /unknown exam/)
    const first = await createExamSession(platform, scope, plan())
    await assert.rejects(
      createExamSession(platform, scope, plan({ startsAt: utcHourInDays(40, 9.5), endsAt: utcHourInDays(40, 11) })),
      new RegExp(`double-booked.*${first.id}`),
    )
    const adjacent = await createExamSession(platform, scope, plan({ startsAt: utcHourInDays(40, 10), endsAt: utcHourInDays(40, 11) }))
    const otherRoom = await createExamSession(platform, scope, plan({ roomId: roomB.id }))
    await cancelExamSessions(platform, scope, [first.id], 'Room flooded')
    const replacement = await createExamSession(platform, scope, plan({ startsAt: utcHourInDays(40, 9), endsAt: utcHourInDays(40, 9.5) }))
    await cancelExamSessions(platform, scope, [adjacent.id, otherRoom.id, replacement.id], 'clean up')
  })

  it('refuses an archived room', async () => {
    await setArchived(testApp.platform, scope, rooms, roomB.id, true)
    await assert.rejects(
      createExamSession(testApp.platform, scope, plan({ roomId: roomB.id, startsAt: utcHourInDays(41, 9), endsAt: utcHourInDays(41, 10) })),
      /unknown room/,
    )
    await setArchived(testApp.platform, scope, rooms, roomB.id, false)
  })

  it('reschedules under the same rules, back to scheduled, and audits every change', async () => {
    const { platform } = testApp
    const one = await createExamSession(platform, scope, plan({ startsAt: utcHourInDays(42, 9), endsAt: utcHourInDays(42, 10) }))
    const two = await createExamSession(platform, scope, plan({ startsAt: utcHourInDays(42, 12), endsAt: utcHourInDays(42, 13) }))
    await confirmExamSessions(platform, scope, [one.id, two.id])
    await assert.rejects(
      rescheduleExamSession(platform, scope, one.id, { ...plan(), startsAt: utcHourInDays(42, 12.5), endsAt: utcHourInDays(42, 13.5) }),
      /double-booked/,
    )
    const moved = await rescheduleExamSession(platform, scope, one.id, { ...plan(), startsAt: utcHourInDays(42, 9.5), endsAt: utcHourInDays(42, 10.5) })
    assert.equal(moved.status, 'scheduled')
    assert.equal(moved.startsAt.getTime(), utcHourInDays(42, 9.5).getTime())
    await assert.rejects(cancelExamSessions(platform, scope, [one.id, two.id], ' '), /reason/)
    await cancelExamSessions(platform, scope, [one.id, two.id], 'Proctor ill')
    await assert.rejects(confirmExamSessions(platform, scope, [one.id]), /is cancelled/)
    await assert.rejects(rescheduleExamSession(platform, scope, one.id, plan()), /cancelled/)
    const actions = await platform.db
      .select({ action: auditEntries.action })
      .from(auditEntries)
      .where(and(eq(auditEntries.orgId, scope.orgId), eq(auditEntries.target, one.id)))
    assert.deepEqual(actions.map((entry) => entry.action).sort(), [
      'exams.session_cancelled',
      'exams.session_confirmed',
      'exams.session_created',
      'exams.session_rescheduled',
    ])
  })
})

describe('listing exam sessions', () => {
  it('filters, sorts and pages', async () => {
    const { platform } = testApp
    const listed = (options: Parameters<typeof listExamSessions>[2]) => listExamSessions(platform.db, scope, options)
    const baseline = (await listed({ status: 'scheduled' })).total
    for (let i = 0; i < 30; i++) {
      await createExamSession(
        platform,
        scope,
        plan({
          roomId: i % 2 ? roomB.id : roomA.id,
          proctorId: i % 3 ? null : proctor.id,
          startsAt: utcHourInDays(60 + i, 9),
          endsAt: utcHourInDays(60 + i, 10),
        }),
      )
    }
    const all = await listed({ status: 'scheduled' })
    assert.equal(all.total, baseline + 30)
    const first = await listed({ from: utcHourInDays(60, 0), to: utcHourInDays(90, 0), page: 1 })
    const second = await listed({ from: utcHourInDays(60, 0), to: utcHourInDays(90, 0), page: 2 })
    assert.equal(first.total, 30)
    assert.equal(first.items.length, 25)
    assert.equal(second.items.length, 5)
    assert.equal(new Set([...first.items, ...second.items].map((item) => item.id)).size, 30)
    assert.ok(first.items.every((item, i) => i === 0 || item.startsAt >= (first.items[i - 1]?.startsAt ?? item.startsAt)))
    const latest = await listed({ from: utcHourInDays(60, 0), to: utcHourInDays(90, 0), sort: 'starts', dir: 'desc' })
    assert.equal(latest.items[0]?.startsAt.getTime(), utcHourInDays(89, 9).getTime())
    assert.equal((await listed({ from: utcHourInDays(60, 0), to: utcHourInDays(70, 0) })).total, 10)
    assert.equal((await listed({ from: utcHourInDays(60, 0), proctorId: proctor.id })).total, 10)
    assert.equal([...first.items, ...second.items].filter((item) => item.roomName === 'B').length, 15)
    assert.equal((await listed({ from: utcHourInDays(60, 0), status: 'confirmed' })).total, 0)
  })

  it('shows the list, the calendar and a new exam session in the centre’s time zone through the pages', async () => {
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const base = `/orgs/${scope.orgId}/exam-sessions`
    const form = await client.get(`${base}/new`)
    assert.equal(form.statusCode, 200)
    const start = londonTime(100, '09:30').replace(' ', 'T')
    const created = await client.submit(base, { examId: exam.id, roomId: roomA.id, proctorId: '', start, end: '', seats: '' })
    assert.equal(created.statusCode, 302, textOf(created.body).slice(0, 500))
    const id = String(created.headers.location).split('/').pop() ?? ''
    const [stored] = await testApp.platform.db.select().from(examSessions).where(eq(examSessions.id, id))
    assert.equal(stored?.seats, 20, 'seats default to the room’s capacity')
    assert.equal(utcToZoned(stored?.startsAt ?? new Date(0), ZONE), start)
    assert.equal((stored?.endsAt.getTime() ?? 0) - (stored?.startsAt.getTime() ?? 0), 60 * 60_000, 'the end defaults to the exam’s duration')
    const clash = await client.submit(base, { examId: exam.id, roomId: roomA.id, start, seats: '5' })
    assert.equal(clash.statusCode, 422)
    assert.match(textOf(clash.body), /double-booked/)
    const calendar = await client.get(`${base}/calendar?view=month&date=${start.slice(0, 10)}`)
    assert.equal(calendar.statusCode, 200)
    const cell = calendar.body.split(`data-day="${start.slice(0, 10)}"`)[1]?.split('</td>')[0] ?? ''
    assert.ok(cell.includes(`href="${base}/${id}"`), 'the exam session is on its day in the calendar')
    const week = await client.get(`${base}/calendar?date=${start.slice(0, 10)}`)
    assert.ok(
      week.body
        .split(`data-day="${start.slice(0, 10)}"`)[1]
        ?.split('</td>')[0]
        ?.includes(id),
      'the week view shows it too',
    )
    const detail = await client.get(`${base}/${id}`)
    assert.equal(detail.statusCode, 200)
    assert.match(textOf(detail.body), new RegExp(`${start.replace('T', ' ')}–10:30 \\(Europe/London\\)`))
    assert.equal((await client.get(`${base}/import`)).statusCode, 200)
    const list = await client.get(`${base}?examId=${exam.id}&from=${start.slice(0, 10)}&to=${start.slice(0, 10)}`)
    assert.match(textOf(list.body), /1 exam sessions/)
    const bySeats = await client.get(`${base}?examId=${exam.id}&sort=seats&dir=desc`)
    assert.match(bySeats.body, new RegExp(`<th scope="col" aria-sort="descending"><a href="${base}\\?examId=${exam.id}&sort=seats&dir=asc"`))
    assert.match(bySeats.body, /<input type="hidden" name="sort" value="seats"\/>/, 'filtering keeps the order')
    const cancelled = await client.submit(`${base}/cancel`, { ids: id, reason: '' })
    assert.equal(cancelled.statusCode, 302)
    assert.equal((await testApp.platform.db.select().from(examSessions).where(eq(examSessions.id, id)))[0]?.status, 'scheduled', 'no reason, no cancellation')
    await client.submit(`${base}/cancel`, { ids: id, reason: 'Centre closed' })
    assert.equal((await testApp.platform.db.select().from(examSessions).where(eq(examSessions.id, id)))[0]?.status, 'cancelled')
    const empty = await client.get(`${base}?status=completed`)
    assert.match(textOf(empty.body), /No exam sessions match these filters/)
  })

  it('lets a staff member link a proctor to a member of the org', async () => {
    const person = await newPerson(testApp)
    const member = await addMember(testApp.platform, scope, { accountId: person.account.id, role: 'staff' })
    const linked = await saveProctor(testApp.platform, scope, { name: 'Linked', email: person.email, memberId: member.id })
    assert.equal(linked.memberId, member.id)
    await assert.rejects(saveProctor(testApp.platform, scope, { name: 'Bad', email: 'bad@example.org', memberId: 'mem_other' }), /member/)
  })
})

describe('creating exam sessions from CSV', () => {
  const header = 'exam,centre,room,start,end,seats,proctor'
  const file = () => {
    const good = Array.from({ length: 8 }, (_, i) => `FA-101,LON,A,${londonTime(120 + i, '09:00')},,12,pat@example.org`)
    const lines = [
      header,
      ...good, // lines 2-9
      `FA-101,LON,A,${londonTime(-2, '09:00')},,5,`, // 10: past
      `FA-101,LON,A,${londonTime(120, '09:30')},,5,`, // 11: overlaps line 2 of this file
      `FA-101,LON,B,${londonTime(121, '09:00')},,11,`, // 12: over capacity
      `XX-999,LON,B,${londonTime(122, '09:00')},,5,`, // 13: unknown exam
      `FA-101,LON,B,${londonTime(123, '09:00')},${londonTime(123, '08:00')},5,`, // 14: end before start
      `FA-101,PAR,B,${londonTime(124, '09:00')},,5,`, // 15: unknown centre
      `FA-101,LON,Z,${londonTime(125, '09:00')},,5,`, // 16: unknown room
      `FA-101,LON,B,${londonTime(126, '09:00')},,5,nobody@example.org`, // 17: unknown proctor
      `FA-101,LON,A,${londonTime(150, '09:15')},,5,`, // 18: overlaps the stored exam session
      `FA-101,LON,B,${londonTime(127, '25:00')},,5,`, // 19: bad start
    ]
    return Buffer.from(lines.join('\n'))
  }
  const expected: [number, RegExp][] = [
    [10, /starts in the past/],
    [11, /double-booked: line 2 of this file/],
    [12, /over capacity: 11 seats, but room B holds 10/],
    [13, /unknown exam code "XX-999"/],
    [14, /ends before it starts/],
    [15, /unknown centre "PAR"/],
    [16, /unknown room "Z" at centre LON/],
    [17, /unknown proctor "nobody@example.org"/],
    [18, /double-booked: exam session exs_/],
    [19, /bad start/],
  ]

  it('names each bad row with its reason, creates nothing before confirmation, exactly the valid rows after, and nothing again on re-upload', async () => {
    const { platform } = testApp
    const startsAt = londonInstant(150, '09:00')
    await createExamSession(platform, scope, plan({ startsAt, endsAt: new Date(startsAt.getTime() + HOUR) }))
    const before = await sessionCount()
    const preview = await previewExamSessionImport(platform, scope, { fileName: 'autumn.csv', content: file() })
    assert.equal(preview.totalRows, 18)
    assert.deepEqual(
      preview.problems.map((problem) => problem.line),
      expected.map(([line]) => line),
    )
    for (const [line, reason] of expected) assert.match(preview.problems.find((problem) => problem.line === line)?.reason ?? '', reason, `line ${line}`)
    assert.equal(preview.validRows, 8)
    assert.equal(await sessionCount(), before, 'nothing is created before confirmation')

    assert.equal((await confirmExamSessionImport(platform, scope, preview.id)).created, 8)
    assert.equal(await sessionCount(), before + 8)
    assert.deepEqual(await confirmExamSessionImport(platform, scope, preview.id), { created: 8, examSessionIds: [] }, 'confirming twice creates nothing new')
    assert.equal(await sessionCount(), before + 8)
    const created = await platform.db
      .select()
      .from(examSessions)
      .where(and(eq(examSessions.orgId, scope.orgId), like(examSessions.idempotencyKey, 'csv:%')))
    assert.ok(created.every((session) => session.seats === 12 && session.proctorId === proctor.id && session.status === 'scheduled'))

    const again = await previewExamSessionImport(platform, scope, { fileName: 'autumn.csv', content: file() })
    assert.equal(again.validRows, 0)
    assert.equal(again.alreadyCreated, 8)
    await assert.rejects(confirmExamSessionImport(platform, scope, again.id), /nothing to create/)
    assert.equal(await sessionCount(), before + 8)
  })

  it('lists every problem of a row, and offers a sample file with the columns it reads', async () => {
    const content = Buffer.from(`${header}\nXX-9,NOPE,Z,soon,,,ghost@example.org\nXX-9,LON,Z,not a time,,,`)
    const preview = await previewExamSessionImport(testApp.platform, scope, { fileName: 'bad.csv', content })
    assert.deepEqual(preview.problems, [
      { line: 2, reason: 'unknown exam code "XX-9"; unknown centre "NOPE"; unknown proctor "ghost@example.org"' },
      { line: 3, reason: `unknown exam code "XX-9"; unknown room "Z" at centre LON; bad start "not a time" (use YYYY-MM-DD HH:MM in the centre's time zone)` },
    ])
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const form = await client.get(`/orgs/${scope.orgId}/exam-sessions/import`)
    const sampleHref = /href="([^"]+)"[^>]*>Download a sample file/.exec(form.body)?.[1] ?? ''
    const sample = await client.get(sampleHref)
    assert.equal(sample.statusCode, 200)
    assert.equal(sample.body.split('\n')[0], 'exam,centre,room,start,end,seats,proctor')
    assert.equal(sample.body.trim().split('\n').length, 3, 'a header and two example rows')
  })

  it('creates nothing when the room was booked between preview and confirmation', async () => {
    const { platform } = testApp
    const content = Buffer.from(`${header}\nFA-101,LON,B,${londonTime(200, '09:00')},,5,\nFA-101,LON,B,${londonTime(201, '09:00')},,5,`)
    const preview = await previewExamSessionImport(platform, scope, { fileName: 'late.csv', content })
    assert.equal(preview.validRows, 2)
    const startsAt = londonInstant(201, '09:30')
    await createExamSession(platform, scope, plan({ roomId: roomB.id, startsAt, endsAt: new Date(startsAt.getTime() + HOUR), seats: 5 }))
    const before = await sessionCount()
    await assert.rejects(confirmExamSessionImport(platform, scope, preview.id), /line 3: room B is double-booked/)
    assert.equal(await sessionCount(), before)
  })

  it('previews and confirms an upload through the pages', async () => {
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const base = `/orgs/${scope.orgId}/exam-sessions`
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await client.get(`${base}/import`)).body)?.[1] ?? ''
    const content = `${header}\nFA-101,LON,B,${londonTime(300, '09:00')},,5,\nFA-101,LON,B,${londonTime(300, '09:30')},,5,`
    const boundary = 'examsboundary'
    const payload = [
      `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="pages.csv"\r\nContent-Type: text/csv\r\n\r\n${content}\r\n`,
      `--${boundary}--\r\n`,
    ].join('')
    const before = await sessionCount()
    const preview = await client.request({
      method: 'POST',
      url: `${base}/import`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    })
    assert.equal(preview.statusCode, 200)
    assert.match(textOf(preview.body), /1 ready to create/)
    assert.match(textOf(preview.body), /3 room B is double-booked: line 2 of this file/)
    assert.equal(await sessionCount(), before)
    const action = /action="([^"]+\/confirm)"/.exec(preview.body)?.[1] ?? ''
    const confirmed = await client.submit(action, {})
    assert.equal(confirmed.statusCode, 302)
    assert.equal(await sessionCount(), before + 1)
  })

  it('refuses a file without the needed columns, saying what to fix', async () => {
    await assert.rejects(
      previewExamSessionImport(testApp.platform, scope, { fileName: 'x.csv', content: Buffer.from('exam,room\nFA-101,A') }),
      /lacks: centre, start/,
    )
  })
})
