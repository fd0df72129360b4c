import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { and, eq } from 'drizzle-orm'
import { dumpDatabase } from '../../../../test/support/database.ts'
import { newOrg } from '../../../../test/support/factories.ts'
import { startTestApp, type TestApp, textOf } from '../../../../test/support/harness.ts'
import { until } from '../../../../test/support/until.ts'
import { auditEntries } from '../../../platform/audit/schema.ts'
import { rotateKeysJob } from '../../../platform/crypto/jobs.ts'
import type { JobRunContext } from '../../../platform/jobs/jobs.ts'
import type { Platform } from '../../../platform/platform.ts'
import { utcToZoned } from '../../../platform/time-zones.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { type Exam, type Room, saveCentre, saveExam, saveProctor, saveRoom } from '../catalog/catalog.ts'
import { examSessions, proctors } from '../schema.ts'
import { previewExamSessionImport } from '../sessions/bulk.ts'
import { createExamSession, type ExamSession, getExamSession } from '../sessions/sessions.ts'
import { checkPortalAction, portalIdempotencyKey } from './actions.ts'
import { connectorFor, savePortalConnection } from './connection.ts'
import type { PortalAccess } from './interactive.ts'
import {
  getPortalRun,
  isRunFinished,
  listPortalRunItems,
  PORTAL_RUN_CONCURRENCY,
  type PortalRun,
  previewPortalRun,
  startPortalRun,
  stopPortalRun,
} from './runs.ts'
import { type PortalAccount, PortalSimulator } from './simulator.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const PROCTOR: PortalAccount = { username: 'proctor-one', password: 'canary-proctor-password-51d2', proctorId: 'prc-1' }
const CLERK: PortalAccount = { username: 'clerk', password: 'canary-clerk-password-0a9e', proctorId: null }

let testApp: TestApp
let scope: OrgScope
let simulator: PortalSimulator
let exam: Exam
let rulesRoom: Room
let runRoom: Room
let proctorId: string
let owner: Awaited<ReturnType<typeof newOrg>>['owner']

before(async () => {
  testApp = await startTestApp({ worker: true })
  for (const account of [PROCTOR, CLERK]) testApp.secrets.add(account.password)
  const { platform } = testApp
  const created = await newOrg(testApp)
  const { org } = created
  owner = created.owner
  scope = { orgId: org.id, accountId: owner.account.id, role: 'owner' }
  simulator = await PortalSimulator.start({ accounts: [PROCTOR, CLERK] })
  await savePortalConnection(platform, scope, { baseUrl: simulator.url, requestsPerSecond: 100 })
  exam = await saveExam(platform, scope, { code: 'FA-101', title: 'First Aid', durationMinutes: 60, passMark: 70, maxScore: 100, achievementId: null })
  const centre = await saveCentre(platform, scope, { code: 'LON', name: 'London', timeZone: 'Europe/London' })
  rulesRoom = await saveRoom(platform, scope, centre.id, { name: 'Rules', capacity: 20 })
  runRoom = await saveRoom(platform, scope, centre.id, { name: 'Run', capacity: 20 })
  const proctor = await saveProctor(platform, scope, { name: 'Pat Proctor', email: 'pat@example.org', memberId: null })
  await platform.db.update(proctors).set({ portalProctorId: PROCTOR.proctorId }).where(eq(proctors.id, proctor.id))
  proctorId = proctor.id
})
after(async () => {
  // Every token the portal ever issued is a secret: none may be in the logs.
  const tokens = simulator.tokens()
  for (const token of [...tokens.live, ...tokens.loggedOut, ...tokens.expired]) testApp.secrets.add(token)
  await simulator.close()
  await testApp.close()
})

/** What the connected user's login session would give the request (the Connect step signs in the same way). */
async function accessAs(account: PortalAccount): Promise<PortalAccess> {
  const { getPortalConnection } = await import('./connection.ts')
  const connection = await getPortalConnection(testApp.platform, scope.orgId)
  assert.ok(connection)
  const connector = connectorFor(testApp.platform, connection)
  const login = await connector.login(account.username, account.password)
  return { connection, connector, actor: login.actor, token: login.token, credentials: { username: account.username, password: account.password } }
}

const sessionAt = (room: Room, startsAt: Date, withProctor = true): Promise<ExamSession> =>
  createExamSession(testApp.platform, scope, {
    examId: exam.id,
    roomId: room.id,
    proctorId: withProctor ? proctorId : null,
    startsAt,
    endsAt: new Date(startsAt.getTime() + HOUR / 2),
    seats: 10,
  })

/** The run once finished, and its token logged out and wiped (the last thing a run does). */
const finished = (runId: string): Promise<PortalRun> =>
  until(`the run ${runId} to finish`, async () => {
    const run = await getPortalRun(testApp.platform.db, scope, runId)
    return isRunFinished(run.state) && run.tokenWipedAt ? run : undefined
  })

const allTokens = () => Object.values(simulator.tokens()).flat()

/** Creates `count` exam sessions an hour apart from `days` days on, and runs `create` for them at the portal. */
async function createRun(count: number, days: number): Promise<{ run: PortalRun; sessions: ExamSession[] }> {
  const sessions: ExamSession[] = []
  for (let i = 0; i < count; i++) sessions.push(await sessionAt(runRoom, new Date(Date.now() + days * DAY + i * HOUR)))
  const access = await accessAs(PROCTOR)
  const started = await startPortalRun(testApp.platform, scope, access, { action: 'create', examSessionIds: sessions.map((session) => session.id) })
  const run = await finished(started.id)
  await logOut(access)
  return { run, sessions }
}

/** Requests the simulator saw about an exam session: its create (by idempotency key) and its confirm/cancel (by portal ID). */
function requestsFor(session: { id: string; portalSessionId?: string | null }) {
  return simulator
    .requests()
    .filter(
      (request) =>
        request.idempotencyKey === portalIdempotencyKey(session.id) || (session.portalSessionId ? request.path.includes(session.portalSessionId) : false),
    )
}

async function logOut(access: PortalAccess) {
  await access.connector.logout(access.token)
}

describe('portal runs', () => {
  it('checks every row against the portal rules in the dry run and at the run, sends none that breaks one and names the rule', async () => {
    const { platform } = testApp
    const now = Date.now()
    const valid = await sessionAt(rulesRoom, new Date(now + 3 * HOUR))
    const laterValid = await sessionAt(rulesRoom, new Date(now + 2 * DAY))
    const tooSoon = await sessionAt(rulesRoom, new Date(now + 30 * 60_000))
    const tooFar = await sessionAt(rulesRoom, new Date(now + 31 * DAY))
    const noProctor = await sessionAt(rulesRoom, new Date(now + 5 * HOUR), false)
    const proctorAccess = await accessAs(PROCTOR)
    const requestsBefore = simulator.requests().length

    const createIds = [valid.id, laterValid.id, tooSoon.id, tooFar.id, noProctor.id]
    const preview = await previewPortalRun(platform, scope, proctorAccess, { action: 'create', examSessionIds: createIds })
    assert.deepEqual(preview.toSend.map((session) => session.id).sort(), [valid.id, laterValid.id].sort())
    const refusedRules = Object.fromEntries(preview.refused.map(({ session, violations }) => [session.id, violations.map((violation) => violation.rule)]))
    assert.deepEqual(refusedRules, {
      [tooSoon.id]: ['create_min_lead_time'],
      [tooFar.id]: ['create_max_horizon'],
      [noProctor.id]: ['proctor_not_at_portal'],
    })
    assert.equal(
      simulator
        .requests()
        .slice(requestsBefore)
        .filter((request) => request.method === 'POST' && request.path.includes('/sessions')).length,
      0,
      'the preview sent nothing',
    )

    const createRun = await finished((await startPortalRun(platform, scope, proctorAccess, { action: 'create', examSessionIds: createIds })).id)
    assert.equal(createRun.state, 'completed')
    const createItems = Object.fromEntries((await listPortalRunItems(platform.db, scope, createRun.id)).map((item) => [item.examSessionId, item]))
    assert.equal(createItems[valid.id]?.state, 'done')
    assert.equal(createItems[laterValid.id]?.state, 'done')
    assert.equal(createItems[tooSoon.id]?.state, 'skipped')
    assert.equal(createItems[tooSoon.id]?.rule, 'create_min_lead_time')
    assert.equal(createItems[tooFar.id]?.rule, 'create_max_horizon')
    assert.match(createItems[tooFar.id]?.message ?? '', /more than 30 days/)
    for (const refused of [tooSoon, tooFar, noProctor]) assert.deepEqual(requestsFor(refused), [], `nothing was sent for ${refused.id}`)

    // Confirm: the portal lets only the session's proctor confirm, and only within 24 hours of the start.
    const atPortal = await getExamSession(platform.db, scope, valid.id)
    const laterAtPortal = await getExamSession(platform.db, scope, laterValid.id)
    assert.ok(atPortal.portalSessionId && laterAtPortal.portalSessionId)
    const clerkAccess = await accessAs(CLERK)
    const byClerk = await previewPortalRun(platform, scope, clerkAccess, { action: 'confirm', examSessionIds: [atPortal.id] })
    assert.deepEqual(
      byClerk.refused[0]?.violations.map((violation) => violation.rule),
      ['confirm_by_proctor'],
    )
    await assert.rejects(startPortalRun(platform, scope, clerkAccess, { action: 'confirm', examSessionIds: [atPortal.id] }), /each breaks a rule/)
    assert.equal(simulator.requests().filter((request) => request.path.includes(`${atPortal.portalSessionId}/confirm`)).length, 0)

    const confirmRun = await finished(
      (await startPortalRun(platform, scope, proctorAccess, { action: 'confirm', examSessionIds: [atPortal.id, laterAtPortal.id] })).id,
    )
    const confirmItems = Object.fromEntries((await listPortalRunItems(platform.db, scope, confirmRun.id)).map((item) => [item.examSessionId, item]))
    assert.equal(confirmItems[atPortal.id]?.state, 'done')
    assert.equal(confirmItems[laterAtPortal.id]?.rule, 'confirm_window')
    assert.equal(simulator.requests().filter((request) => request.path.includes(`${laterAtPortal.portalSessionId}/confirm`)).length, 0)
    assert.equal((await getExamSession(platform.db, scope, atPortal.id)).status, 'confirmed')
    assert.equal(simulator.sessions().find((session) => session.id === atPortal.portalSessionId)?.status, 'confirmed')

    // Cancel: not within the hour before the start (the row is at the portal; its ID is enough, since it is never sent).
    const lastMinute = await sessionAt(runRoom, new Date(now + 40 * 60_000))
    await platform.db.update(examSessions).set({ portalSessionId: 'ps_never_sent' }).where(eq(examSessions.id, lastMinute.id))
    const cancelRun = await finished(
      (
        await startPortalRun(platform, scope, proctorAccess, {
          action: 'cancel',
          examSessionIds: [lastMinute.id, laterAtPortal.id],
          reason: 'Room flooded',
        })
      ).id,
    )
    const cancelItems = Object.fromEntries((await listPortalRunItems(platform.db, scope, cancelRun.id)).map((item) => [item.examSessionId, item]))
    assert.equal(cancelItems[lastMinute.id]?.rule, 'cancel_min_lead_time')
    assert.equal(cancelItems[laterAtPortal.id]?.state, 'done')
    assert.equal(simulator.requests().filter((request) => request.path.includes('ps_never_sent')).length, 0)
    assert.equal((await getExamSession(platform.db, scope, laterAtPortal.id)).status, 'cancelled')
    assert.equal(simulator.sessions().find((session) => session.id === laterAtPortal.portalSessionId)?.cancelReason, 'Room flooded')

    await logOut(proctorAccess)
    await logOut(clerkAccess)
  })

  it('creates 30 exam sessions once each through transient failures, keeping its token keyring-encrypted with the run, then logs it out and wipes it', async () => {
    const { platform } = testApp
    const sessions: ExamSession[] = []
    for (let i = 0; i < 30; i++) sessions.push(await sessionAt(runRoom, new Date(Date.now() + 3 * DAY + i * HOUR)))
    const access = await accessAs(PROCTOR)
    const tokensBefore = allTokens()
    const requestsBefore = simulator.requests().length
    // Scripted, so every run retries the same way: the run's login fails twice, then three creates once each.
    simulator.failNext(2, '/login')
    simulator.failNext(3, '/sessions')
    const started = await startPortalRun(platform, scope, access, { action: 'create', examSessionIds: sessions.map((session) => session.id) })
    const sealed = started.tokenEncrypted ?? ''
    const run = await finished(started.id)
    assert.equal(run.state, 'completed')
    const items = await listPortalRunItems(platform.db, scope, run.id)
    assert.deepEqual(
      items.map((item) => item.state),
      sessions.map(() => 'done'),
    )
    const keys = sessions.map((session) => portalIdempotencyKey(session.id))
    const created = simulator.sessions().filter((session) => items.some((item) => item.portalSessionId === session.id))
    assert.equal(created.length, 30)
    const requests = simulator.requests().slice(requestsBefore)
    const successfulCreates = requests.filter((request) => request.status === 201 && keys.includes(request.idempotencyKey ?? ''))
    assert.equal(successfulCreates.length, 30)
    assert.equal(new Set(successfulCreates.map((request) => request.idempotencyKey)).size, 30)
    assert.deepEqual(
      requests.filter((request) => request.status === 503).map((request) => request.path),
      ['/login', '/login', '/sessions', '/sessions', '/sessions'],
      'the scripted failures were retried',
    )
    for (const session of sessions) assert.ok((await getExamSession(platform.db, scope, session.id)).portalSessionId)

    await logOut(access)
    const [runToken, ...others] = allTokens().filter((token) => !tokensBefore.includes(token))
    assert.ok(runToken)
    assert.deepEqual(others, [], 'one login for the run')
    assert.ok(simulator.tokens().loggedOut.includes(runToken), "the run's token is logged out")
    assert.match(sealed, /^lk1:/, 'the run kept its token as keyring ciphertext')
    assert.ok(!sealed.includes(runToken))
    assert.equal((JSON.parse(await platform.keyring.decrypt(sealed)) as { token: string }).token, runToken)
    assert.equal(run.tokenEncrypted, null, 'the token is wiped from the run')
    assert.ok(run.tokenWipedAt instanceof Date)
  })

  it('pages: the list offers the portal actions, a login session not connected is told to connect first, the run page shows each result', async () => {
    const { run } = await createRun(2, 5)
    const client = testApp.client()
    await client.signIn(owner.email, owner.password)
    const list = await client.get(`/orgs/${scope.orgId}/exam-sessions`)
    assert.equal(list.statusCode, 200)
    for (const label of ['Create at portal', 'Confirm at portal', 'Cancel at portal']) assert.ok(textOf(list.body).includes(label), label)
    const sessionId = /name="ids" value="([^"]+)"/.exec(list.body)?.[1] ?? ''
    const preview = await client.submit(`/orgs/${scope.orgId}/portal-runs/preview`, { ids: sessionId, portalAction: 'create' })
    assert.equal(preview.statusCode, 200)
    assert.match(preview.body, new RegExp(`href="/orgs/${scope.orgId}/portal"`))
    assert.match(textOf(preview.body), /connect to the testing portal first/)
    const upload = await client.get(`/orgs/${scope.orgId}/exam-sessions/import`)
    assert.match(textOf(upload.body), /To also create these at the testing portal, connect to the testing portal first/)
    assert.ok(!upload.body.includes('name="portal"'), 'no portal box before connecting')

    const runPage = await client.get(`/orgs/${scope.orgId}/portal-runs/${run.id}`)
    assert.equal(runPage.statusCode, 200)
    assert.match(runPage.body, /<progress value="100"/)
    assert.equal((runPage.body.match(/<tr data-state="done">/g) ?? []).length, 2)
    assert.ok(!textOf(runPage.body).includes('Stop run'), 'a finished run has no Stop button')
    const fragment = await client.get(`/orgs/${scope.orgId}/portal-runs/${run.id}/progress`)
    assert.equal(fragment.statusCode, 200)
    assert.equal(fragment.headers['hx-refresh'], 'true')
  })

  it('Stop run: items in flight finish, items not yet sent are skipped, never sent, and the token is still logged out and wiped', async () => {
    const { platform } = testApp
    const sessions: ExamSession[] = []
    for (let i = 0; i < 8; i++) sessions.push(await sessionAt(runRoom, new Date(Date.now() + 6 * DAY + i * HOUR)))
    const access = await accessAs(PROCTOR)
    simulator.hold('/sessions')
    try {
      const started = await startPortalRun(platform, scope, access, { action: 'create', examSessionIds: sessions.map((session) => session.id) })
      await until('every worker to wait on the portal', () => (simulator.waiting() === PORTAL_RUN_CONCURRENCY ? true : undefined))
      await stopPortalRun(platform, scope, started.id)
      // The worker reads the stop request with its next heartbeat; only then may the portal answer.
      const { heartbeatAt: stoppedAt } = await getPortalRun(platform.db, scope, started.id)
      await until('a heartbeat after the stop', async () => {
        const { heartbeatAt } = await getPortalRun(platform.db, scope, started.id)
        return heartbeatAt && stoppedAt && heartbeatAt > stoppedAt ? true : undefined
      })
      simulator.release()
      const run = await finished(started.id)
      assert.equal(run.state, 'stopped')
      const items = await listPortalRunItems(platform.db, scope, run.id)
      const states = items.map((item) => (item.state === 'skipped' ? `skipped ${item.rule}` : item.state))
      assert.deepEqual(states.sort(), [...Array(PORTAL_RUN_CONCURRENCY).fill('done'), ...Array(8 - PORTAL_RUN_CONCURRENCY).fill('skipped run_stopped')])
      for (const item of items.filter((item) => item.state === 'skipped')) assert.deepEqual(requestsFor({ id: item.examSessionId }), [])
      assert.ok(run.tokenWipedAt)
      assert.equal(run.tokenEncrypted, null)
    } finally {
      simulator.release()
      await logOut(access)
    }
  })

  it('a key rotation during a run re-encrypts its token, and the run still logs it out and wipes it when it ends', async () => {
    const { platform } = testApp
    const sessions = [await sessionAt(runRoom, new Date(Date.now() + 7 * DAY)), await sessionAt(runRoom, new Date(Date.now() + 7 * DAY + HOUR))]
    const access = await accessAs(PROCTOR)
    const tokensBefore = allTokens()
    simulator.hold('/sessions')
    try {
      const started = await startPortalRun(platform, scope, access, { action: 'create', examSessionIds: sessions.map((session) => session.id) })
      await until('both items to wait on the portal', () => (simulator.waiting() === sessions.length ? true : undefined))
      const oldKey = platform.keyring.activeKey
      await rotateKeysJob.run({ services: platform, progress: async () => {} } as unknown as JobRunContext<Platform>, {})
      assert.notEqual(platform.keyring.keyIdOf((await getPortalRun(platform.db, scope, started.id)).tokenEncrypted ?? ''), oldKey)
      simulator.release()
      const run = await finished(started.id)
      assert.equal(run.state, 'completed')
      const [runToken] = allTokens().filter((token) => !tokensBefore.includes(token))
      assert.ok(runToken && simulator.tokens().loggedOut.includes(runToken), "the run's token is logged out")
      assert.equal(run.tokenEncrypted, null)
      await platform.audit.flush()
      const finishedEntries = await platform.db
        .select({ id: auditEntries.id })
        .from(auditEntries)
        .where(and(eq(auditEntries.action, 'exams.portal_run_finished'), eq(auditEntries.target, run.id)))
      assert.equal(finishedEntries.length, 1, 'the run ended itself, not the sweeper after it')
    } finally {
      simulator.release()
      await logOut(access)
    }
  })

  it('CSV import with the portal box: rows that break a portal rule are bad rows naming the rule, and are not kept to create', async () => {
    const { platform } = testApp
    await saveRoom(platform, scope, rulesRoom.centreId, { name: 'Csv', capacity: 20 })
    const access = await accessAs(PROCTOR)
    const local = (ms: number) =>
      utcToZoned(new Date(Date.now() + ms), 'Europe/London')
        .replace('T', ' ')
        .slice(0, 16)
    const content = Buffer.from(
      [
        'exam,centre,room,start,proctor',
        `FA-101,LON,Rules,${local(20 * DAY)},pat@example.org`,
        `FA-101,LON,Rules,${local(20 * DAY + 2 * HOUR)},`,
        `FA-101,LON,Csv,${local(35 * 60_000)},pat@example.org`,
        `FA-101,LON,Run,${local(32 * DAY)},pat@example.org`,
      ].join('\n'),
    )
    const now = platform.clock.now()
    const preview = await previewExamSessionImport(
      platform,
      scope,
      { fileName: 'portal.csv', content },
      {
        portalCheck: (planned, portalProctorId) =>
          checkPortalAction(
            access.connector.rules,
            'create',
            { status: 'scheduled', startsAt: planned.startsAt, portalSessionId: null, portalProctorId },
            now,
            access.actor,
          ),
      },
    )
    assert.equal(preview.validRows, 1)
    assert.deepEqual(
      preview.problems.map((problem) => [problem.line, problem.reason.split(':')[0]]),
      [
        [3, 'breaks the portal rule proctor_not_at_portal'],
        [4, 'breaks the portal rule create_min_lead_time'],
        [5, 'breaks the portal rule create_max_horizon'],
      ],
    )
    await logOut(access)
  })

  it('leaves no portal password or token in plaintext in any table (job tables included)', async () => {
    const { db } = testApp.platform
    await createRun(1, 8)
    const tokens = simulator.tokens()
    const needles = [PROCTOR.password, CLERK.password, ...allTokens()]
    assert.ok(tokens.loggedOut.length >= 2, "the run's and the user's tokens")
    const rows = await dumpDatabase(db)
    const found = rows.filter((row) => needles.some((needle) => row.includes(needle))).map((row) => row.split(':')[0])
    assert.deepEqual(found, [])
  })
})
