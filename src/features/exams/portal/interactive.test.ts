import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { and, eq, sql } from 'drizzle-orm'
import { newOrg, type PersonFixture } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, type TestClient, textOf } from '../../../../test/support/harness.ts'
import { auditEntries } from '../../../platform/audit/schema.ts'
import { loginSessionSecrets } from '../../identity/schema.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { type Exam, type Proctor, type Room, saveCentre, saveExam, saveProctor, saveRoom, type TestCentre } from '../catalog/catalog.ts'
import { examSessions } from '../schema.ts'
import { cancelExamSessions, confirmExamSessions, createExamSession, getExamSession } from '../sessions/sessions.ts'
import { savePortalConnection } from './connection.ts'
import { HttpPortalConnector } from './http-connector.ts'
import { PortalSimulator } from './simulator.ts'

const HOUR = 3_600_000
const canary = `canary-${randomBytes(6).toString('hex')}`
const PROCTOR = { username: `proctor-${canary}`, password: `pw-${canary}-secret`, proctorId: 'PRC-1' }
const ADMIN = { username: 'portal-admin', password: `admin-${randomBytes(6).toString('hex')}`, proctorId: null }

let testApp: TestApp
let simulator: PortalSimulator
let owner: PersonFixture
let scope: OrgScope
let base: string
let exam: Exam
let centre: TestCentre
let room: Room
let proctor: Proctor

/** A new Laurel exam session `hours` from now (a whole minute); callers keep them apart in the room. */
async function newExamSession(hours: number, seats = 10) {
  const startsAt = new Date(Math.floor((testApp.clock.now().getTime() + hours * HOUR) / 60_000) * 60_000)
  return createExamSession(testApp.platform, scope, {
    examId: exam.id,
    roomId: room.id,
    proctorId: proctor.id,
    startsAt,
    endsAt: new Date(startsAt.getTime() + 45 * 60_000),
    seats,
  })
}

async function secretRows() {
  return testApp.platform.db.select().from(loginSessionSecrets)
}

/** Every text-like column of every table whose value contains `needle`, as "table.column". */
async function columnsContaining(needle: string): Promise<string[]> {
  const columns = await testApp.platform.db.execute<{ table_name: string; column_name: string }>(sql`
    select table_name, column_name from information_schema.columns
    where table_schema = 'public' and data_type in ('text', 'character varying', 'jsonb', 'json', 'bytea', 'ARRAY')`)
  const found: string[] = []
  for (const { table_name: table, column_name: column } of columns.rows) {
    const result = await testApp.platform.db.execute<{ hits: number }>(
      sql`select count(*)::int as hits from ${sql.identifier(table)} where ${sql.identifier(column)}::text like ${`%${needle}%`}`,
    )
    if ((result.rows[0]?.hits ?? 0) > 0) found.push(`${table}.${column}`)
  }
  return found
}

async function auditCount(action: string, target?: string) {
  const rows = await testApp.platform.db
    .select({ id: auditEntries.id })
    .from(auditEntries)
    .where(and(eq(auditEntries.action, action), eq(auditEntries.orgId, scope.orgId), target ? eq(auditEntries.target, target) : undefined))
  return rows.length
}

/** Follows a redirect and returns the page's text (with its flash message). */
async function follow(client: TestClient, response: { statusCode: number; headers: Record<string, unknown> }) {
  assert.equal(response.statusCode, 302)
  return textOf((await client.get(String(response.headers.location))).body)
}

async function connectedClient() {
  const client = testApp.client()
  await client.signIn(owner.email, owner.password)
  await client.get(`${base}/portal`)
  const connected = await client.submit(`${base}/portal/connect`, { username: PROCTOR.username, password: PROCTOR.password })
  assert.match(await follow(client, connected), /Connected to the testing portal as/)
  return client
}

const portalSession = (id: string | null) => simulator.sessions().find((session) => session.id === id)
const requestsTo = (suffix: string) => simulator.requests().filter((request) => request.path.endsWith(suffix)).length

before(async () => {
  testApp = await startTestApp()
  testApp.secrets.add(PROCTOR.password)
  testApp.secrets.add(ADMIN.password)
  simulator = await PortalSimulator.start({ accounts: [PROCTOR, ADMIN], tokenLifetimeSeconds: 8 * 3600, clock: testApp.clock })
  const created = await newOrg(testApp, 'Portal Org')
  owner = created.owner
  scope = { orgId: created.org.id, accountId: owner.account.id, role: 'owner' }
  base = `/orgs/${scope.orgId}`
  const { platform } = testApp
  exam = await saveExam(platform, scope, { code: 'FA-1', title: 'First Aid', durationMinutes: 45, passMark: 5, maxScore: 10, achievementId: null })
  centre = await saveCentre(platform, scope, { code: 'LON', name: 'London', timeZone: 'UTC' })
  room = await saveRoom(platform, scope, centre.id, { name: 'A', capacity: 20 })
  proctor = await saveProctor(platform, scope, { name: 'Pat', email: 'pat@example.org', memberId: null, portalProctorId: PROCTOR.proctorId })
  await savePortalConnection(platform, scope, { baseUrl: simulator.url, requestsPerSecond: 1000 })
})
after(async () => {
  await testApp.close()
  await simulator.close()
})

describe('portal settings and proctor IDs', () => {
  it('saves the portal address (admins) and validates a proctor’s portal ID', async () => {
    // An org of its own, with no portal set up yet.
    const { org, owner: admin } = await newOrg(testApp, 'Settings Org')
    const base = `/orgs/${org.id}`
    const client = testApp.client()
    await client.signIn(admin.email, admin.password)
    const empty = await client.get(`${base}/portal`)
    assert.match(textOf(empty.body), /No testing portal is set up yet/)
    await client.get(`${base}/portal/settings`)
    const bad = await client.submit(`${base}/portal/settings`, { baseUrl: 'ftp://nope', requestsPerSecond: '5' })
    assert.equal(bad.statusCode, 422)
    assert.match(textOf(bad.body), /Use https:\/\//)
    const good = await client.submit(`${base}/portal/settings`, { baseUrl: simulator.url, requestsPerSecond: '1000' })
    assert.match(await follow(client, good), /Testing portal settings saved/)

    await client.get(`${base}/proctors/new`)
    const badProctor = await client.submit(`${base}/proctors`, { name: 'Q', email: 'q@example.org', portalProctorId: ' bad\tid' })
    assert.equal(badProctor.statusCode, 422)
    assert.match(textOf(badProctor.body), /Portal proctor ID: up to 64/)
    const goodProctor = await client.submit(`${base}/proctors`, { name: 'Q', email: 'q@example.org', portalProctorId: 'PRC-Q 2' })
    assert.equal(goodProctor.statusCode, 302)
    assert.match(textOf((await client.get(`${base}/proctors`)).body), /PRC-Q 2/)
  })
})

describe('interactive mode', () => {
  it('refuses wrong portal credentials clearly and stores nothing', async () => {
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const page = await client.get(`${base}/portal`)
    assert.match(page.body, /name="password" type="password"[^>]*autocomplete="off"/)
    const wrong = `${PROCTOR.password}-wrong`
    const errorsBefore = await auditCount('exams.portal_error')
    const response = await client.submit(`${base}/portal/connect`, { username: PROCTOR.username, password: wrong })
    assert.equal(response.statusCode, 422)
    assert.match(textOf(response.body), /did not accept that username and password/)
    assert.ok(!response.body.includes(wrong))
    assert.equal((await secretRows()).length, 0)
    assert.equal(await auditCount('exams.portal_error'), errorsBefore + 1)
  })

  it('connects with canary credentials holding ciphertext only, lists, creates, confirms and cancels live, and disconnects', async () => {
    const tokensBefore = Object.values(simulator.tokens()).flat()
    const sessionsBefore = simulator.sessions().length
    const connectsBefore = await auditCount('exams.portal_connected')
    const disconnectsBefore = await auditCount('exams.portal_disconnected')
    const client = await connectedClient()
    const [row] = await secretRows()
    assert.ok(row)
    const [token] = simulator.tokens().live.filter((live) => !tokensBefore.includes(live))
    assert.ok(token)
    testApp.secrets.add(token)
    assert.deepEqual(await columnsContaining(PROCTOR.password), [])
    assert.deepEqual(await columnsContaining(token), [])
    assert.ok(!row.ciphertext.includes(PROCTOR.username))
    assert.equal(await auditCount('exams.portal_connected'), connectsBefore + 1)

    // Create one exam session at the portal from its page; another appears at the portal by other hands.
    const soon = await newExamSession(5)
    const detail = await client.get(`${base}/exam-sessions/${soon.id}`)
    assert.match(textOf(detail.body), /Create at portal/)
    const created = await client.submit(`${base}/exam-sessions/${soon.id}/portal/create`, {})
    assert.match(await follow(client, created), /Created at the testing portal as ps_/)
    const linkedId = (await getExamSession(testApp.platform.db, scope, soon.id)).portalSessionId
    assert.ok(portalSession(linkedId))
    const other = new HttpPortalConnector({ baseUrl: simulator.url, requestsPerSecond: 1000 })
    const adminLogin = await other.login(ADMIN.username, ADMIN.password)
    testApp.secrets.add(adminLogin.token)
    const foreign = await other.createSession(
      adminLogin.token,
      {
        examCode: 'XX-9',
        centreCode: 'LON',
        proctorId: 'PRC-9',
        startsAt: new Date(testApp.clock.now().getTime() + 30 * HOUR),
        endsAt: new Date(testApp.clock.now().getTime() + 31 * HOUR),
        seats: 3,
      },
      'foreign-1',
    )

    const list = await client.get(`${base}/portal`)
    const listText = textOf(list.body)
    assert.match(listText, new RegExp(`Connected as ${PROCTOR.username}, proctor ID PRC-1`))
    assert.match(listText, new RegExp(`${sessionsBefore + 2} sessions at the portal`))
    assert.match(list.body, new RegExp(`href="${base}/exam-sessions/${soon.id}"`))
    assert.match(listText, /XX-9.*Not in Laurel/)
    assert.ok(!list.body.includes(PROCTOR.password))

    // A confirm the rules refuse (not the session's proctor... nor within 24 hours) sends nothing.
    const confirmsBefore = requestsTo('/confirm')
    const refused = await client.submit(`${base}/portal/confirm`, { portalSessionId: foreign.id })
    assert.match(await follow(client, refused), /Not sent to the portal: The session starts in more than 24 hours.*Only the session's proctor may confirm it/)
    assert.equal(requestsTo('/confirm'), confirmsBefore)

    // Confirm live: at the portal and in Laurel, audited.
    const confirmed = await client.submit(`${base}/portal/confirm`, { portalSessionId: linkedId ?? '' })
    assert.match(await follow(client, confirmed), /is confirmed/)
    assert.equal(portalSession(linkedId)?.status, 'confirmed')
    assert.equal((await getExamSession(testApp.platform.db, scope, soon.id)).status, 'confirmed')
    assert.equal(await auditCount('exams.portal_session_confirmed', soon.id), 1)

    // Cancel needs a reason; with one, the portal token ended elsewhere is replaced once with the held credentials.
    const noReason = await client.submit(`${base}/portal/cancel`, { portalSessionId: linkedId ?? '', reason: '' })
    assert.match(await follow(client, noReason), /Give a reason for cancelling/)
    assert.equal(portalSession(linkedId)?.status, 'confirmed')
    await other.logout(token)
    const cancelled = await client.submit(`${base}/portal/cancel`, { portalSessionId: linkedId ?? '', reason: 'Proctor unwell' })
    assert.match(await follow(client, cancelled), /is cancelled/)
    assert.equal(portalSession(linkedId)?.status, 'cancelled')
    assert.equal((await getExamSession(testApp.platform.db, scope, soon.id)).status, 'cancelled')
    assert.equal(await auditCount('exams.portal_session_cancelled', soon.id), 1)
    assert.ok((await auditCount('exams.portal_error', soon.id)) >= 1, 'the refused token is audited')
    const cancelledUnlinked = await client.submit(`${base}/portal/cancel`, { portalSessionId: foreign.id, reason: 'Not ours' })
    assert.match(await follow(client, cancelledUnlinked), /is cancelled/)
    assert.equal(await auditCount('exams.portal_session_cancelled', foreign.id), 1)

    // Disconnect logs the token out at the portal and drops both halves.
    const [current] = simulator.tokens().live.filter((live) => live !== adminLogin.token && !tokensBefore.includes(live))
    assert.ok(current)
    testApp.secrets.add(current)
    assert.deepEqual(await columnsContaining(current), [])
    assert.ok(client.cookie('laurel_key_portal'))
    const disconnected = await client.submit(`${base}/portal/disconnect`, {})
    assert.match(await follow(client, disconnected), /Disconnected/)
    assert.ok(simulator.tokens().loggedOut.includes(current))
    assert.equal((await secretRows()).length, 0)
    assert.equal(client.cookie('laurel_key_portal'), undefined)
    assert.equal(await auditCount('exams.portal_disconnected'), disconnectsBefore + 1)
    assert.match(textOf((await client.get(`${base}/portal`)).body), /Connect the testing portal/)
  })

  it('shows a portal that cannot be reached as a clear message, audited', async () => {
    const client = await connectedClient()
    const errorsBefore = await auditCount('exams.portal_error')
    simulator.failNext(5)
    const page = await client.get(`${base}/portal`)
    assert.equal(page.statusCode, 200)
    const text = textOf(page.body)
    assert.match(text, /The testing portal cannot be reached right now .* try again later/)
    assert.doesNotMatch(page.body, /at .*\.ts:\d+|Error:/)
    assert.match(text, /Disconnect/)
    assert.equal(await auditCount('exams.portal_error'), errorsBefore + 1)
    simulator.failNext(0)
    await client.submit(`${base}/portal/disconnect`, {})
    assert.equal((await secretRows()).length, 0)
  })

  it('logs the held token out at the portal and wipes the held credentials at sign-out; wipes them at login-session expiry', async () => {
    const tokensBefore = Object.values(simulator.tokens()).flat()
    const client = await connectedClient()
    const [token] = simulator.tokens().live.filter((live) => !tokensBefore.includes(live))
    assert.ok(token)
    testApp.secrets.add(token)
    assert.equal((await secretRows()).length, 1)
    await client.submit('/sign-out', {})
    assert.equal((await secretRows()).length, 0)
    assert.ok(simulator.tokens().loggedOut.includes(token), 'the token is logged out at the portal')
    assert.equal(client.cookie('laurel_key_portal'), undefined)

    const later = await connectedClient()
    assert.equal((await secretRows()).length, 1)
    testApp.clock.advance(25 * HOUR)
    try {
      await later.get(`${base}/portal`)
      assert.equal((await secretRows()).length, 0)
    } finally {
      testApp.clock.advance(-25 * HOUR)
    }
  })
})

describe('reconciliation', () => {
  it('flags each drift from changes made directly at the portal, and each fix resolves its drift', async () => {
    const client = await connectedClient()
    const { platform } = testApp
    const createAtPortal = async (hours: number, seats = 10) => {
      const session = await newExamSession(hours, seats)
      const response = await client.submit(`${base}/exam-sessions/${session.id}/portal/create`, {})
      assert.match(await follow(client, response), /Created at the testing portal/)
      const portalSessionId = (await getExamSession(platform.db, scope, session.id)).portalSessionId ?? ''
      return { id: session.id, portalSessionId }
    }
    const missing = await newExamSession(40)
    const moved = await createAtPortal(42)
    const fewerSeats = await createAtPortal(44)
    const cancelledThere = await createAtPortal(46)
    const confirmedThere = await createAtPortal(48)
    const confirmedHere = await createAtPortal(6)
    const cancelledHere = await createAtPortal(50)
    const twin = await newExamSession(52)

    const movedAt = portalSession(moved.portalSessionId)
    assert.ok(movedAt)
    simulator.changeSession(moved.portalSessionId, {
      startsAt: new Date(movedAt.startsAt.getTime() + 30 * 60_000),
      endsAt: new Date(movedAt.endsAt.getTime() + 30 * 60_000),
    })
    simulator.changeSession(fewerSeats.portalSessionId, { seats: 4 })
    simulator.changeSession(cancelledThere.portalSessionId, { status: 'cancelled', cancelReason: 'Centre closed' })
    simulator.changeSession(confirmedThere.portalSessionId, { status: 'confirmed' })
    await confirmExamSessions(platform, scope, [confirmedHere.id])
    await cancelExamSessions(platform, scope, [cancelledHere.id], 'Exam withdrawn')
    const admin = new HttpPortalConnector({ baseUrl: simulator.url, requestsPerSecond: 1000 })
    const login = await admin.login(ADMIN.username, ADMIN.password)
    testApp.secrets.add(login.token)
    const twinView = await getExamSession(platform.db, scope, twin.id)
    const extra = await admin.createSession(
      login.token,
      {
        examCode: 'FA-1',
        centreCode: 'LON',
        proctorId: 'PRC-7',
        startsAt: new Date(twinView.startsAt.getTime() + 2 * HOUR),
        endsAt: new Date(twinView.startsAt.getTime() + 3 * HOUR),
        seats: 2,
      },
      'extra-1',
    )
    const twinAtPortal = await admin.createSession(
      login.token,
      { examCode: 'FA-1', centreCode: 'LON', proctorId: 'PRC-1', startsAt: twinView.startsAt, endsAt: twinView.endsAt, seats: 10 },
      'twin-1',
    )
    await admin.createSession(
      login.token,
      { examCode: 'FA-1', centreCode: 'ELSEWHERE', proctorId: 'PRC-1', startsAt: twinView.startsAt, endsAt: twinView.endsAt, seats: 10 },
      'other-centre',
    )

    const view = await client.get(`${base}/portal/reconcile?centreId=${centre.id}`)
    assert.equal(view.statusCode, 200)
    const rows = [...view.body.matchAll(/<tr data-drift="([a-z_]+)">([\s\S]*?)<\/tr>/g)].map(([, kind, html]) => ({ kind, html: html ?? '' }))
    const rowOf = (examSessionId: string | null, portalSessionId: string | null) =>
      rows
        .filter((row) => (!examSessionId || row.html.includes(examSessionId)) && (!portalSessionId || row.html.includes(portalSessionId)))
        .map((row) => row.kind)
    assert.deepEqual(rowOf(missing.id, null), ['missing_at_portal'])
    assert.deepEqual(rowOf(moved.id, null), ['different_time_or_seats'])
    assert.deepEqual(rowOf(fewerSeats.id, null), ['different_time_or_seats'])
    assert.deepEqual(rowOf(cancelledThere.id, null), ['stuck_status'])
    assert.deepEqual(rowOf(confirmedThere.id, null), ['stuck_status'])
    assert.deepEqual(rowOf(confirmedHere.id, null), ['stuck_status'])
    assert.deepEqual(rowOf(cancelledHere.id, null), ['stuck_status'])
    assert.deepEqual(rowOf(null, extra.id), ['extra_at_portal'])
    assert.deepEqual(rowOf(twin.id, null).sort(), ['extra_at_portal', 'missing_at_portal'])
    assert.equal(rows.length, 10, rows.map((row) => row.kind).join(', '))
    assert.match(textOf(view.body), /Cancelled at the portal \(Centre closed\), scheduled in Laurel/)
    assert.match(textOf(view.body), /Different seats \(Laurel 10, portal 4\)/)

    const fixes: [Record<string, string>, RegExp][] = [
      [{ fix: 'create_at_portal', examSessionId: missing.id }, /Created at the portal as ps_/],
      [{ fix: 'take_portal_time', examSessionId: moved.id, portalSessionId: moved.portalSessionId }, /portal’s time and seats/],
      [{ fix: 'take_portal_time', examSessionId: fewerSeats.id, portalSessionId: fewerSeats.portalSessionId }, /portal’s time and seats/],
      [{ fix: 'cancel_in_laurel', examSessionId: cancelledThere.id, portalSessionId: cancelledThere.portalSessionId }, /Cancelled in Laurel/],
      [{ fix: 'confirm_in_laurel', examSessionId: confirmedThere.id, portalSessionId: confirmedThere.portalSessionId }, /Confirmed in Laurel/],
      [{ fix: 'confirm_at_portal', examSessionId: confirmedHere.id, portalSessionId: confirmedHere.portalSessionId }, /Confirmed at the portal/],
      [{ fix: 'cancel_at_portal', examSessionId: cancelledHere.id, portalSessionId: cancelledHere.portalSessionId }, /Cancelled at the portal/],
      [{ fix: 'cancel_at_portal', portalSessionId: extra.id, reason: '' }, /Give a reason/],
      [{ fix: 'cancel_at_portal', portalSessionId: extra.id, reason: 'Not planned' }, /is cancelled/],
      [{ fix: 'link', examSessionId: twin.id, portalSessionId: twinAtPortal.id }, /Linked to portal session/],
    ]
    for (const [fields, expected] of fixes) {
      const response = await client.submit(`${base}/portal/reconcile/fix`, { ...fields, centreId: centre.id })
      assert.match(await follow(client, response), expected, JSON.stringify(fields))
    }
    assert.equal(portalSession(moved.portalSessionId)?.startsAt.getTime(), (await getExamSession(platform.db, scope, moved.id)).startsAt.getTime())
    assert.equal((await getExamSession(platform.db, scope, fewerSeats.id)).seats, 4)
    assert.equal((await getExamSession(platform.db, scope, cancelledThere.id)).status, 'cancelled')
    assert.equal(portalSession(confirmedHere.portalSessionId)?.status, 'confirmed')
    assert.equal(portalSession(cancelledHere.portalSessionId)?.status, 'cancelled')
    assert.equal(portalSession(extra.id)?.status, 'cancelled')
    const [linked] = await platform.db.select().from(examSessions).where(eq(examSessions.id, twin.id))
    assert.equal(linked?.portalSessionId, twinAtPortal.id)
    assert.equal(await auditCount('exams.portal_reconciled'), fixes.length - 1, 'every fix but the one without a reason')

    // Another org's exam session named in a fix is not found, and nothing changes.
    const other = await newOrg(testApp, 'Other Org')
    const otherScope = { orgId: other.org.id, accountId: other.owner.account.id, role: 'owner' as const }
    const otherExam = await saveExam(platform, otherScope, { code: 'FA-1', title: 'B', durationMinutes: 45, passMark: 1, maxScore: 2, achievementId: null })
    const otherCentre = await saveCentre(platform, otherScope, { code: 'LON', name: 'B', timeZone: 'UTC' })
    const otherRoom = await saveRoom(platform, otherScope, otherCentre.id, { name: 'B', capacity: 5 })
    const startsAt = new Date(testApp.clock.now().getTime() + 60 * HOUR)
    const theirs = await createExamSession(platform, otherScope, {
      examId: otherExam.id,
      roomId: otherRoom.id,
      proctorId: null,
      startsAt,
      endsAt: new Date(startsAt.getTime() + HOUR),
      seats: 5,
    })
    for (const fields of [
      { fix: 'create_at_portal', examSessionId: theirs.id, portalSessionId: '' },
      { fix: 'cancel_in_laurel', examSessionId: theirs.id, portalSessionId: extra.id },
    ]) {
      const response = await client.submit(`${base}/portal/reconcile/fix`, fields)
      assert.equal(response.statusCode, 404, JSON.stringify(fields))
    }
    assert.equal((await getExamSession(platform.db, otherScope, theirs.id)).portalSessionId, null)

    const after = await client.get(`${base}/portal/reconcile?centreId=${centre.id}`)
    assert.doesNotMatch(after.body, /data-drift=/)
    assert.match(textOf(after.body), /No drift: Laurel \(\d+ exam sessions\) and the portal \(\d+ sessions\) agree for LON/)
    assert.deepEqual(await columnsContaining(PROCTOR.password), [])
    await client.submit(`${base}/portal/disconnect`, {})
  })
})
