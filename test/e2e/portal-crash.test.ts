import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, describe, it } from 'node:test'
import { eq } from 'drizzle-orm'
import { saveCentre, saveExam, saveProctor, saveRoom } from '../../src/features/exams/catalog/catalog.ts'
import { portalIdempotencyKey } from '../../src/features/exams/portal/actions.ts'
import { savePortalConnection } from '../../src/features/exams/portal/connection.ts'
import { getPortalRun, isRunFinished, listPortalRunItems, PORTAL_RUN_CONCURRENCY, type PortalRun } from '../../src/features/exams/portal/runs.ts'
import { PortalSimulator } from '../../src/features/exams/portal/simulator.ts'
import { proctors } from '../../src/features/exams/schema.ts'
import { createExamSession } from '../../src/features/exams/sessions/sessions.ts'
import { createAccount } from '../../src/features/identity/service.ts'
import { createOrg, type OrgScope } from '../../src/features/orgs/service.ts'
import type { Platform } from '../../src/platform/platform.ts'
import { dumpDatabase } from '../support/database.ts'
import { strongPassword, uniqueEmail } from '../support/factories.ts'
import { createTestEnvironment, type TestEnvironment } from '../support/harness.ts'
import { freePort, LaurelProcesses, withPlatform } from '../support/processes.ts'
import { until } from '../support/until.ts'

/*
 * Crash test: a Laurel process (web server and worker) runs a create run of 60 exam sessions at the
 * portal simulator; the portal lets a third through, then holds the next requests, and the process
 * is killed with SIGKILL while they wait. The portal then processes them, answering no one, and
 * `laurel serve` is started again on the same database. With or without Redis, the run's token is
 * in the run's row (keyring ciphertext), so the sweeper resumes the run, which re-sends the held
 * creates with their idempotency keys and completes: no session exists twice at the portal, the
 * token is logged out there, and no copy of it is left in the database.
 */

const COUNT = 60
const HOUR = 3_600_000
const ACCOUNT = { username: 'crash-proctor', password: 'canary-crash-portal-password-3f8a', proctorId: 'prc-crash' }

let environment: TestEnvironment
let env: Record<string, string>
let simulator: PortalSimulator
let processes: LaurelProcesses

before(async () => {
  environment = await createTestEnvironment()
  env = { ...environment.env, HOST: '127.0.0.1', PORT: String(await freePort()), LOG_LEVEL: 'warn' }
  processes = new LaurelProcesses(env)
  simulator = await PortalSimulator.start({ accounts: [ACCOUNT] })
})
after(async () => {
  processes.killAll()
  await simulator.close()
  await environment.dispose()
})

async function setUp(platform: Platform): Promise<{ scope: OrgScope; examSessionIds: string[] }> {
  const account = await createAccount(platform, { email: uniqueEmail('crash'), name: 'Crash Tester', password: strongPassword(), isEmailVerified: true })
  const org = await createOrg(platform, account.id, { name: 'Crash Org' })
  const scope: OrgScope = { orgId: org.id, accountId: account.id, role: 'owner' }
  await savePortalConnection(platform, scope, { baseUrl: simulator.url, requestsPerSecond: 20 })
  const exam = await saveExam(platform, scope, { code: 'CR-1', title: 'Crash', durationMinutes: 30, passMark: 1, maxScore: 2, achievementId: null })
  const centre = await saveCentre(platform, scope, { code: 'CRC', name: 'Crash centre', timeZone: 'UTC' })
  const room = await saveRoom(platform, scope, centre.id, { name: 'Room', capacity: 10 })
  const proctor = await saveProctor(platform, scope, { name: 'Crash Proctor', email: uniqueEmail('proctor'), memberId: null })
  await platform.db.update(proctors).set({ portalProctorId: ACCOUNT.proctorId }).where(eq(proctors.id, proctor.id))
  const examSessionIds: string[] = []
  for (let i = 0; i < COUNT; i++) {
    const startsAt = new Date(Date.now() + 2 * HOUR + i * HOUR)
    const session = await createExamSession(platform, scope, {
      examId: exam.id,
      roomId: room.id,
      proctorId: proctor.id,
      startsAt,
      endsAt: new Date(startsAt.getTime() + HOUR / 2),
      seats: 5,
    })
    examSessionIds.push(session.id)
  }
  return { scope, examSessionIds }
}

const createdAtPortal = () => simulator.requests().filter((request) => request.method === 'POST' && request.status === 201 && request.idempotencyKey)

describe('portal run crash', () => {
  it('after a SIGKILL in the middle of a create run, the restarted app completes it, nothing is created twice, and the token is logged out and wiped', async () => {
    const { scope, examSessionIds } = await withPlatform(env, setUp)

    const first = await processes.launch(['test/support/portal-run-child.ts'], /"ready"/)
    simulator.hold('/sessions', COUNT / 3)
    first.child.stdin.write(
      `${JSON.stringify({ orgId: scope.orgId, accountId: scope.accountId, examSessionIds, username: ACCOUNT.username, password: ACCOUNT.password })}\n`,
    )
    const runId = (JSON.parse(await first.next(/"runId"/)) as { runId: string }).runId
    await until('every worker to wait on the portal', () => (simulator.waiting() === PORTAL_RUN_CONCURRENCY ? true : undefined))
    first.child.kill('SIGKILL')
    await once(first.child, 'exit')
    assert.equal(createdAtPortal().length, COUNT / 3, 'killed in the middle')
    // The portal processes what it held; the answers reach no one.
    simulator.release()
    const lostAnswers = await until('the held creates to be processed', () => {
      const created = createdAtPortal()
      return created.length === COUNT / 3 + PORTAL_RUN_CONCURRENCY ? created.slice(COUNT / 3).map((request) => request.idempotencyKey) : undefined
    })

    const second = await processes.launch(['src/main.ts', 'serve'], /Laurel is ready/)
    const { run, items, leftRows } = await withPlatform(env, async (platform) => {
      const run = await until<PortalRun>(
        'the run to finish',
        async () => {
          const current = await getPortalRun(platform.db, scope, runId)
          return isRunFinished(current.state) && current.tokenWipedAt ? current : undefined
        },
        60_000,
      )
      return { run, items: await listPortalRunItems(platform.db, scope, runId), leftRows: await dumpDatabase(platform.db) }
    })
    second.child.kill('SIGTERM')
    await once(second.child, 'exit')

    assert.equal(run.state, 'completed', run.message ?? '')
    assert.deepEqual(
      items.map((item) => item.state),
      examSessionIds.map(() => 'done'),
    )
    // Never twice: one portal session per exam session; the creates whose answers were lost were replayed.
    const keys = createdAtPortal().map((request) => request.idempotencyKey)
    assert.equal(new Set(keys).size, COUNT, 'no idempotency key created a session twice')
    assert.equal(simulator.sessions().length, COUNT)
    assert.ok(keys.every((key) => examSessionIds.some((id) => portalIdempotencyKey(id) === key)))
    const replayed = simulator.requests().filter((request) => request.status === 200 && request.idempotencyKey)
    assert.deepEqual(replayed.map((request) => request.idempotencyKey).sort(), [...lostAnswers].sort())

    // The run's token and the user's: both logged out at the portal, no copy left in the database (nor in memory: the processes are gone).
    const tokens = simulator.tokens()
    assert.deepEqual(tokens.live, [], 'every token is logged out at the portal')
    assert.deepEqual(tokens.expired, [])
    assert.equal(tokens.loggedOut.length, 2)
    assert.equal(run.tokenEncrypted, null)
    for (const token of tokens.loggedOut)
      assert.equal(
        leftRows.find((row) => row.includes(token)),
        undefined,
        'a token is in the database',
      )
  })
})
