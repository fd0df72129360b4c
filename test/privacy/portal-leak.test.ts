import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { savePortalConnection } from '../../src/features/exams/portal/connection.ts'
import { getPortalRun, isRunFinished } from '../../src/features/exams/portal/runs.ts'
import { PortalSimulator } from '../../src/features/exams/portal/simulator.ts'
import { createExamSession, getExamSession, saveCentre, saveExam, saveProctor, saveRoom } from '../../src/features/exams/service.ts'
import type { OrgScope } from '../../src/features/orgs/service.ts'
import { dumpDatabase } from '../support/database.ts'
import { newOrg } from '../support/factories.ts'
import { startTestApp, type TestApp, type TestClient } from '../support/harness.ts'

/*
 * The promise of issue 5: a portal password given to Laurel never leaks. Run the interactive and
 * the batch flows with canary credentials, then look everywhere Laurel writes: every table of every
 * schema (pg-boss's included) and the captured logs.
 */

const HOUR = 3_600_000
const canary = randomBytes(8).toString('hex')
const PORTAL_ACCOUNT = { username: `canary-user-${canary}`, password: `canary-password-${canary}`, proctorId: 'PRC-LEAK' }

let testApp: TestApp
let simulator: PortalSimulator
let scope: OrgScope
let client: TestClient
let base: string

before(async () => {
  testApp = await startTestApp({ worker: true })
  testApp.secrets.add(PORTAL_ACCOUNT.password)
  simulator = await PortalSimulator.start({ accounts: [PORTAL_ACCOUNT], latencyMs: 5, clock: testApp.clock })
  const { org, owner } = await newOrg(testApp, 'Leak Test Centre')
  scope = { orgId: org.id, accountId: owner.account.id, role: 'owner' }
  base = `/orgs/${org.id}`
  await savePortalConnection(testApp.platform, scope, { baseUrl: simulator.url, requestsPerSecond: 100 })
  client = testApp.client()
  await client.signIn(owner.email, owner.password)
})

after(async () => {
  await testApp?.close()
  await simulator?.close()
})

/** Previews and starts a portal run through the pages, then waits until it ended and wiped its token. */
async function runThroughPages(action: 'create' | 'confirm' | 'cancel', ids: string[], reason = '') {
  await client.get(`${base}/exam-sessions`)
  const preview = await client.submit(`${base}/portal-runs/preview`, { ids, portalAction: action, reason })
  assert.equal(preview.statusCode, 200)
  assert.match(preview.body, new RegExp(`${ids.length} will be sent to ${action}`))
  const started = await client.submit(`${base}/portal-runs`, { ids, portalAction: action, reason })
  assert.equal(started.statusCode, 302)
  const runId = String(started.headers.location).split('/').pop() ?? ''
  for (let attempt = 0; attempt < 300; attempt++) {
    const run = await getPortalRun(testApp.platform.db, scope, runId)
    if (isRunFinished(run.state) && run.tokenWipedAt) {
      assert.equal(run.state, 'completed', run.message ?? '')
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  assert.fail(`the ${action} run did not finish`)
}

describe('portal credentials never leak', () => {
  it('leaves no canary password or portal token in the database or the logs, and every token logged out', async () => {
    const { platform } = testApp
    const exam = await saveExam(platform, scope, { code: 'LK-1', title: 'Leak', durationMinutes: 45, passMark: 1, maxScore: 2, achievementId: null })
    const centre = await saveCentre(platform, scope, { code: 'LKC', name: 'Leak centre', timeZone: 'UTC' })
    const room = await saveRoom(platform, scope, centre.id, { name: 'Hall', capacity: 10 })
    const proctor = await saveProctor(platform, scope, {
      name: 'Lee Kay',
      email: 'lee.kay@example.org',
      memberId: null,
      portalProctorId: PORTAL_ACCOUNT.proctorId,
    })
    const firstStart = Math.ceil((platform.clock.now().getTime() + 2 * HOUR) / HOUR) * HOUR
    const sessions = []
    for (let slot = 0; slot < 7; slot++) {
      const startsAt = new Date(firstStart + slot * HOUR)
      sessions.push(
        await createExamSession(platform, scope, {
          examId: exam.id,
          roomId: room.id,
          proctorId: proctor.id,
          startsAt,
          endsAt: new Date(startsAt.getTime() + 45 * 60_000),
          seats: 8,
        }),
      )
    }
    const [live, ...batch] = sessions.map((session) => session.id)
    assert.ok(live)

    // Interactive: connect, list, create one and confirm it live.
    await client.get(`${base}/portal`)
    const connected = await client.submit(`${base}/portal/connect`, PORTAL_ACCOUNT)
    assert.equal(connected.statusCode, 302)
    assert.equal((await client.get(`${base}/portal`)).statusCode, 200)
    await client.get(`${base}/exam-sessions/${live}`)
    assert.equal((await client.submit(`${base}/exam-sessions/${live}/portal/create`, {})).statusCode, 302)
    const portalSessionId = (await getExamSession(platform.db, scope, live)).portalSessionId
    assert.ok(portalSessionId, 'the live create linked the portal session')
    await client.get(`${base}/portal`)
    assert.equal((await client.submit(`${base}/portal/confirm`, { portalSessionId })).statusCode, 302)
    assert.equal(simulator.sessions().find((session) => session.id === portalSessionId)?.status, 'confirmed')

    // Batch: create six (through two transient failures, which are logged), confirm three, cancel two, each as a job with its own token.
    simulator.failNext(2)
    await runThroughPages('create', batch)
    await runThroughPages('confirm', batch.slice(0, 3))
    await runThroughPages('cancel', batch.slice(3, 5), 'The room is flooded')
    assert.equal(simulator.sessions().length, 7)

    await client.get(`${base}/portal`)
    assert.equal((await client.submit(`${base}/portal/disconnect`, {})).statusCode, 302)
    await platform.audit.flush()

    const tokens = simulator.tokens()
    const allTokens = [...tokens.live, ...tokens.loggedOut, ...tokens.expired]
    assert.ok(allTokens.length >= 4, 'one interactive token and one per run')
    for (const token of allTokens) testApp.secrets.add(token)
    assert.deepEqual(tokens.live, [], 'no token is still live at the portal')
    assert.deepEqual(tokens.expired, [], 'every token was logged out, none left to expire')

    const needles = [PORTAL_ACCOUNT.password, ...allTokens]
    const rows = await dumpDatabase(platform.db)
    assert.ok(rows.length > 50)
    assert.ok(
      rows.some((row) => row.startsWith('pgboss.')),
      'the job tables are part of the dump',
    )
    for (const needle of needles) {
      const leaked = rows.find((row) => row.includes(needle))
      assert.equal(leaked, undefined, `a secret is stored in plaintext: ${leaked?.slice(0, 60)}`)
    }
    const logs = testApp.logs()
    assert.match(logs, /portal request retried/, 'the logs captured the portal retries')
    for (const needle of needles) assert.ok(!logs.includes(needle), 'a secret reached the logs')
  })
})
