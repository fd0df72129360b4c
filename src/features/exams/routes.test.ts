import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { LightMyRequestResponse } from 'fastify'
import { moveExamSession, newOrg, newPerson, uniqueEmail } from '../../../test/support/factories.ts'
import { startTestApp, type TestApp } from '../../../test/support/harness.ts'
import { zonedToUtc } from '../../platform/time-zones.ts'
import { createAchievement } from '../credentials/service.ts'
import { createApiKey } from '../identity/api-keys.ts'
import { addMember, type OrgScope } from '../orgs/service.ts'
import { createExamSession, registerCandidate, saveCentre, saveExam, saveProctor, saveRoom } from './service.ts'

const ZONE = 'Europe/Paris'
const DAY = 86_400_000
let testApp: TestApp
let scope: OrgScope
let writeKey: string
let readKey: string
let ids: { examId: string; otherExamId: string; centreId: string; roomId: string; bigRoomId: string; proctorId: string }
const other = { orgId: '', examSessionId: '', roomId: '' }
let nextDay = 40
/** A local date of its own for each exam session, so none is double-booked. */
const freshDay = () => new Date(Date.now() + nextDay++ * DAY).toISOString().slice(0, 10)

before(async () => {
  testApp = await startTestApp()
  const { platform } = testApp
  const { org, owner } = await newOrg(testApp, 'Exam API org')
  scope = { orgId: org.id, accountId: owner.account.id, role: 'owner' }
  const achievement = await createAchievement(platform, scope, {
    name: 'Certified Welder',
    description: 'Passed the welding exam',
    criteria: 'Score at least 60 of 100 in WLD-1',
    tags: [],
    alignments: [],
    validityMonths: null,
  })
  const exam = await saveExam(platform, scope, {
    code: 'WLD-1',
    title: 'Welding',
    durationMinutes: 90,
    passMark: 60,
    maxScore: 100,
    achievementId: achievement.id,
  })
  const otherExam = await saveExam(platform, scope, { code: 'WLD-2', title: 'Welding II', durationMinutes: 60, passMark: 1, maxScore: 2, achievementId: null })
  const centre = await saveCentre(platform, scope, { code: 'PAR-1', name: 'Paris centre', timeZone: ZONE })
  const room = await saveRoom(platform, scope, centre.id, { name: 'Room A', capacity: 2 })
  const bigRoom = await saveRoom(platform, scope, centre.id, { name: 'Room B', capacity: 30 })
  const proctor = await saveProctor(platform, scope, { name: 'Paula Proctor', email: uniqueEmail('paula'), memberId: null })
  ids = { examId: exam.id, otherExamId: otherExam.id, centreId: centre.id, roomId: room.id, bigRoomId: bigRoom.id, proctorId: proctor.id }
  writeKey = (await createApiKey(platform, { accountId: owner.account.id, orgId: org.id, name: 'exam api write', scope: 'write' })).secret
  readKey = (await createApiKey(platform, { accountId: owner.account.id, orgId: org.id, name: 'exam api read', scope: 'read' })).secret
  testApp.secrets.add(writeKey)
  testApp.secrets.add(readKey)

  const otherOrg = await newOrg(testApp, 'Someone else')
  const otherScope: OrgScope = { orgId: otherOrg.org.id, accountId: otherOrg.owner.account.id, role: 'owner' }
  const otherOrgExam = await saveExam(platform, otherScope, { code: 'X-1', title: 'X', durationMinutes: 60, passMark: 1, maxScore: 2, achievementId: null })
  const otherCentre = await saveCentre(platform, otherScope, { code: 'X-C', name: 'X centre', timeZone: 'UTC' })
  const otherRoom = await saveRoom(platform, otherScope, otherCentre.id, { name: 'X room', capacity: 5 })
  const startsAt = new Date(Date.now() + 10 * DAY)
  const otherSession = await createExamSession(platform, otherScope, {
    examId: otherOrgExam.id,
    roomId: otherRoom.id,
    proctorId: null,
    startsAt,
    endsAt: new Date(startsAt.getTime() + 3_600_000),
    seats: 5,
  })
  await registerCandidate(platform, otherScope, otherSession.id, { name: 'X candidate', email: uniqueEmail('x') })
  Object.assign(other, { orgId: otherOrg.org.id, examSessionId: otherSession.id, roomId: otherRoom.id })
})
after(() => testApp.close())

const api = (method: 'GET' | 'POST', path: string, payload?: object, key = writeKey) =>
  testApp.app.inject({
    method,
    url: path.startsWith('/') ? path : `/api/v1/orgs/${scope.orgId}/${path}`,
    headers: { authorization: `Bearer ${key}` },
    ...(payload ? { payload } : {}),
  })

function ok(response: LightMyRequestResponse, status = 200) {
  assert.equal(response.statusCode, status, response.body)
  return response.json()
}

/** Asserts an RFC 9457 problem with this status, naming `field` among its errors when given. */
function problem(response: LightMyRequestResponse, status: number, field?: string) {
  assert.equal(response.statusCode, status, response.body)
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/)
  const body = response.json()
  assert.equal(body.status, status)
  if (field) {
    assert.ok(
      (body.errors ?? []).some((error: { field: string }) => error.field === field),
      `expected an error for ${field}: ${response.body}`,
    )
  }
  return body
}

const schedule = (overrides: Record<string, unknown> = {}) =>
  api('POST', 'exam-sessions', { examId: ids.examId, roomId: ids.roomId, proctorId: ids.proctorId, start: `${freshDay()}T09:00`, ...overrides })

describe('exams JSON API: catalog', () => {
  it('lists exams, testing centres with their rooms, and proctors', async () => {
    const exams = ok(await api('GET', 'exams'))
    assert.deepEqual(
      exams.items.map((exam: { code: string }) => exam.code),
      ['WLD-1', 'WLD-2'],
    )
    assert.equal(exams.total, 2)
    assert.equal(exams.items[0].passMark, 60)
    assert.equal(exams.items[0].archivedAt, null)

    const centres = ok(await api('GET', 'testing-centres'))
    assert.equal(centres.items.length, 1)
    assert.equal(centres.items[0].timeZone, ZONE)
    assert.deepEqual(
      centres.items[0].rooms.map((room: { name: string; capacity: number }) => `${room.name}:${room.capacity}`),
      ['Room A:2', 'Room B:30'],
    )

    const proctors = ok(await api('GET', 'proctors'))
    assert.deepEqual(
      proctors.items.map((proctor: { name: string }) => proctor.name),
      ['Paula Proctor'],
    )
    assert.equal(ok(await api('GET', 'proctors?archived=true')).total, 0)
  })
})

describe('exams JSON API: exam sessions', () => {
  it('schedules from centre-local times, with the exam’s duration and the room’s capacity by default', async () => {
    const day = freshDay()
    const session = ok(await api('POST', 'exam-sessions', { examId: ids.examId, roomId: ids.roomId, proctorId: ids.proctorId, start: `${day}T09:00` }), 201)
    assert.match(session.id, /^exs_/)
    assert.equal(session.status, 'scheduled')
    assert.equal(session.startsAt, zonedToUtc(`${day}T09:00`, ZONE)?.toISOString())
    assert.equal(Date.parse(session.endsAt) - Date.parse(session.startsAt), 90 * 60_000)
    assert.equal(session.seats, 2)
    assert.equal(session.timeZone, ZONE)
    assert.equal(session.centreId, ids.centreId)
    assert.equal(session.proctorName, 'Paula Proctor')
    assert.deepEqual(ok(await api('GET', `exam-sessions/${session.id}`)), session)
  })

  it('lists with filters, sort and pages', async () => {
    const first = ok(await schedule({ examId: ids.otherExamId, roomId: ids.bigRoomId, proctorId: '', seats: 10 }), 201)
    const second = ok(await schedule({ examId: ids.otherExamId, roomId: ids.bigRoomId, proctorId: '' }), 201)
    const byExam = ok(await api('GET', `exam-sessions?examId=${ids.otherExamId}&sort=starts&dir=desc`))
    assert.deepEqual(
      byExam.items.map((session: { id: string }) => session.id),
      [second.id, first.id],
    )
    assert.equal(byExam.total, 2)
    assert.equal(byExam.page, 1)
    const from = encodeURIComponent(first.startsAt)
    const to = encodeURIComponent(second.startsAt)
    const window = ok(await api('GET', `exam-sessions?examId=${ids.otherExamId}&from=${from}&to=${to}`))
    assert.deepEqual(
      window.items.map((session: { id: string }) => session.id),
      [first.id],
    )
    assert.equal(ok(await api('GET', `exam-sessions?examId=${ids.otherExamId}&status=confirmed`)).total, 0)
    assert.equal(ok(await api('GET', `exam-sessions?centreId=${ids.centreId}&proctorId=${ids.proctorId}&page=2`)).items.length, 0)
  })

  it('reschedules, confirms and cancels', async () => {
    const session = ok(await schedule(), 201)
    const day = freshDay()
    const moved = ok(
      await api('POST', `exam-sessions/${session.id}/reschedule`, { roomId: ids.bigRoomId, start: `${day}T14:30`, end: `${day}T16:00`, seats: 20 }),
    )
    assert.equal(moved.roomName, 'Room B')
    assert.equal(moved.seats, 20)
    assert.equal(moved.proctorId, null)
    assert.equal(moved.endsAt, zonedToUtc(`${day}T16:00`, ZONE)?.toISOString())

    const confirmed = ok(await api('POST', 'exam-sessions/confirm', { ids: [session.id] }))
    assert.deepEqual(
      confirmed.items.map((item: { id: string; status: string }) => `${item.id}:${item.status}`),
      [`${session.id}:confirmed`],
    )
    const again = problem(await api('POST', 'exam-sessions/confirm', { ids: [session.id] }), 409)
    assert.equal(again.code, 'exam_session_status')

    const other = ok(await schedule(), 201)
    const cancelled = ok(await api('POST', 'exam-sessions/cancel', { ids: [session.id, other.id], reason: 'The centre is closed' }))
    assert.deepEqual(
      cancelled.items.map((item: { status: string; cancellationReason: string }) => `${item.status}:${item.cancellationReason}`),
      ['cancelled:The centre is closed', 'cancelled:The centre is closed'],
    )
  })
})

describe('exams JSON API: candidates and results', () => {
  it('registers candidates, seats then waitlist', async () => {
    const session = ok(await schedule(), 201)
    const path = `exam-sessions/${session.id}/registrations`
    const seated = ok(await api('POST', path, { name: 'Ada', email: 'Ada@Example.org' }), 201)
    assert.equal(seated.status, 'seated')
    assert.equal(seated.email, 'ada@example.org')
    ok(await api('POST', path, { name: 'Bo', email: uniqueEmail('bo') }), 201)
    const waitlisted = ok(await api('POST', path, { name: 'Cy', email: uniqueEmail('cy') }), 201)
    assert.equal(waitlisted.status, 'waitlisted')
    const listed = ok(await api('GET', path))
    assert.deepEqual(
      listed.items.map((row: { name: string; status: string }) => `${row.name}:${row.status}`),
      ['Ada:seated', 'Bo:seated', 'Cy:waitlisted'],
    )
    const duplicate = problem(await api('POST', path, { name: 'Ada again', email: 'ada@example.org' }), 422, 'email')
    assert.equal(duplicate.code, 'duplicate')
  })

  it('records results; a pass issues the exam’s credential, once', async () => {
    const session = ok(await schedule(), 201)
    const path = `exam-sessions/${session.id}`
    const passer = uniqueEmail('passer')
    const failer = uniqueEmail('failer')
    ok(await api('POST', `${path}/registrations`, { name: 'Pat Passer', email: passer }), 201)
    ok(await api('POST', `${path}/registrations`, { name: 'Fay Failer', email: failer }), 201)
    const notHeld = problem(await api('POST', `${path}/results`, { results: [{ email: passer, score: 80 }] }), 409)
    assert.equal(notHeld.code, 'exam_session_not_held')
    ok(await api('POST', 'exam-sessions/confirm', { ids: [session.id] }))

    const results = {
      results: [
        { email: passer, score: 80 },
        { email: failer, score: 30 },
      ],
    }
    const notStarted = problem(await api('POST', `${path}/results`, results), 409)
    assert.equal(notStarted.code, 'exam_session_not_started')
    assert.match(notStarted.detail, /^Recording results opens at \d{4}-\d{2}-\d{2} \d{2}:\d{2} \(.+\), when the exam session starts\.$/)
    await moveExamSession(testApp, session.id, -60)
    assert.deepEqual(ok(await api('POST', `${path}/results`, results)), { recorded: 2, passed: 1, issued: 1 })
    const rows = ok(await api('GET', `${path}/registrations`)).items as { email: string; score: number; passed: boolean; credentialId: string | null }[]
    const pass = rows.find((row) => row.email === passer)
    const fail = rows.find((row) => row.email === failer)
    assert.equal(pass?.passed, true)
    assert.equal(pass?.score, 80)
    assert.match(pass?.credentialId ?? '', /^cred_/)
    assert.equal(fail?.passed, false)
    assert.equal(fail?.credentialId, null)

    const credential = ok(await api('GET', `credentials/${pass?.credentialId}`))
    assert.equal(credential.recipientName, 'Pat Passer')
    assert.equal(credential.status, 'valid')
    const subject = credential.verifiableCredential.credentialSubject
    assert.equal(subject.result?.[0]?.value ?? subject.result?.value, '80')

    assert.deepEqual(ok(await api('POST', `${path}/results`, results)), { recorded: 2, passed: 1, issued: 0 }, 'the same results again issue nothing new')
  })
})

describe('exams JSON API: access and bad input', () => {
  it('lets a read-only key read and refuses every write with 403', async () => {
    const session = ok(await schedule(), 201)
    for (const path of ['exams', 'testing-centres', 'proctors', 'exam-sessions', `exam-sessions/${session.id}`, `exam-sessions/${session.id}/registrations`]) {
      ok(await api('GET', path, undefined, readKey))
    }
    const writes: [string, object][] = [
      ['exam-sessions', { examId: ids.examId, roomId: ids.roomId, start: `${freshDay()}T09:00` }],
      [`exam-sessions/${session.id}/reschedule`, { roomId: ids.roomId, start: `${freshDay()}T09:00` }],
      ['exam-sessions/confirm', { ids: [session.id] }],
      ['exam-sessions/cancel', { ids: [session.id], reason: 'read keys may not' }],
      [`exam-sessions/${session.id}/registrations`, { name: 'R', email: uniqueEmail('r') }],
      [`exam-sessions/${session.id}/results`, { results: [{ email: uniqueEmail('r'), score: 1 }] }],
    ]
    for (const [path, body] of writes) assert.equal(problem(await api('POST', path, body, readKey), 403).code, 'read_only_api_key', path)
    assert.equal(ok(await api('GET', `exam-sessions/${session.id}`)).status, 'scheduled', 'nothing changed')
  })

  it('needs the staff role, like the pages', async () => {
    const person = await newPerson(testApp)
    await addMember(testApp.platform, scope, { accountId: person.account.id, role: 'member' })
    const { secret } = await createApiKey(testApp.platform, { accountId: person.account.id, orgId: scope.orgId, name: 'member key', scope: 'write' })
    testApp.secrets.add(secret)
    assert.equal(problem(await api('GET', 'exam-sessions', undefined, secret), 403).code, 'role_required')
    assert.equal(problem(await api('GET', 'exams', undefined, secret), 403).code, 'role_required')
    const refused = await api('POST', 'exam-sessions', { examId: ids.examId, roomId: ids.roomId, start: `${freshDay()}T09:00` }, secret)
    assert.equal(problem(refused, 403).code, 'role_required')
  })

  it('asks for an API key or a login session', async () => {
    problem(await testApp.app.inject({ method: 'GET', url: `/api/v1/orgs/${scope.orgId}/exam-sessions` }), 401)
  })

  it('names the field of malformed input (400) and of input that breaks a rule (422)', async () => {
    problem(await schedule({ start: 'tomorrow at nine' }), 400, 'start')
    problem(await api('POST', 'exam-sessions', { roomId: ids.roomId, start: `${freshDay()}T09:00` }), 400, 'examId')
    problem(await schedule({ seats: 0 }), 400, 'seats')
    problem(await schedule({ roomId: 'room_unknown' }), 422, 'roomId')
    problem(await schedule({ seats: 3 }), 422, 'seats')
    problem(await schedule({ start: '2020-01-01T09:00' }), 422, 'start')
    problem(await api('GET', 'exam-sessions?from=yesterday'), 400, 'from')
    problem(await api('GET', 'exam-sessions?status=lost'), 400, 'status')
    problem(await api('POST', 'exam-sessions/confirm', { ids: [] }), 400, 'ids')
    problem(await api('POST', 'exam-sessions/cancel', { ids: ['exs_x'] }), 400, 'reason')
    const session = ok(await schedule(), 201)
    problem(await api('POST', `exam-sessions/${session.id}/registrations`, { name: 'N', email: 'not an email' }), 400, 'email')
    problem(await api('POST', `exam-sessions/${session.id}/results`, { results: [{ email: 'a@example.org', score: 1.5 }] }), 400, 'results.0.score')
    const day = freshDay()
    ok(await schedule({ start: `${day}T09:00` }), 201)
    const doubleBooked = problem(await schedule({ start: `${day}T10:00` }), 422, 'start')
    assert.match(doubleBooked.detail, /double-booked/)
  })

  it('answers 404 for another org’s IDs, in the path or in the body', async () => {
    const theirs = other.examSessionId
    problem(await api('GET', `/api/v1/orgs/${other.orgId}/exam-sessions`), 404)
    problem(await api('GET', `exam-sessions/${theirs}`), 404)
    problem(await api('GET', `exam-sessions/${theirs}/registrations`), 404)
    problem(await api('POST', `exam-sessions/${theirs}/registrations`, { name: 'N', email: uniqueEmail('n') }), 404)
    problem(await api('POST', `exam-sessions/${theirs}/reschedule`, { roomId: ids.roomId, start: `${freshDay()}T09:00` }), 404)
    problem(await api('POST', `exam-sessions/${theirs}/results`, { results: [{ email: 'a@example.org', score: 1 }] }), 404)
    const mine = ok(await schedule(), 201)
    problem(await api('POST', 'exam-sessions/confirm', { ids: [mine.id, theirs] }), 404)
    problem(await api('POST', 'exam-sessions/cancel', { ids: [theirs], reason: 'not yours' }), 404)
    assert.equal(ok(await api('GET', `exam-sessions/${mine.id}`)).status, 'scheduled', 'all or none: mine is unchanged')
    // Their room is unknown here: a rule error on the field, never their data.
    problem(await schedule({ roomId: other.roomId }), 422, 'roomId')
  })

  it('documents every endpoint in the OpenAPI document', async () => {
    const openapi = (await testApp.app.inject({ url: '/api/docs/json' })).json()
    const paths = Object.keys(openapi.paths)
    for (const path of [
      '/api/v1/orgs/{orgId}/exams',
      '/api/v1/orgs/{orgId}/testing-centres',
      '/api/v1/orgs/{orgId}/proctors',
      '/api/v1/orgs/{orgId}/exam-sessions',
      '/api/v1/orgs/{orgId}/exam-sessions/{examSessionId}',
      '/api/v1/orgs/{orgId}/exam-sessions/{examSessionId}/reschedule',
      '/api/v1/orgs/{orgId}/exam-sessions/confirm',
      '/api/v1/orgs/{orgId}/exam-sessions/cancel',
      '/api/v1/orgs/{orgId}/exam-sessions/{examSessionId}/registrations',
      '/api/v1/orgs/{orgId}/exam-sessions/{examSessionId}/results',
    ]) {
      assert.ok(paths.includes(path), path)
    }
    const create = openapi.paths['/api/v1/orgs/{orgId}/exam-sessions'].post
    assert.ok(create.requestBody, 'the body schema is documented')
    assert.ok(create.responses['201'], 'the response schema is documented')
  })
})
