import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, describe, it } from 'node:test'
import { eq } from 'drizzle-orm'
import { saveCentre, saveExam, saveProctor, saveRoom } from '../../src/features/exams/catalog.ts'
import { portalIdempotencyKey } from '../../src/features/exams/portal/actions.ts'
import { savePortalConnection } from '../../src/features/exams/portal/connection.ts'
import { getPortalRun, isRunFinished, listPortalRunItems, type PortalRun, TOKEN_LOST_MESSAGE } from '../../src/features/exams/portal/runs.ts'
import { PortalSimulator } from '../../src/features/exams/portal/simulator.ts'
import { proctors } from '../../src/features/exams/schema.ts'
import { createExamSession } from '../../src/features/exams/sessions.ts'
import { createAccount } from '../../src/features/identity/service.ts'
import { createOrg, type OrgScope } from '../../src/features/orgs/service.ts'
import type { Platform } from '../../src/platform/platform.ts'
import { strongPassword, uniqueEmail, until } from '../support/factories.ts'
import { createTestEnvironment, type TestEnvironment } from '../support/harness.ts'
import { freePort, LaurelProcesses, withPlatform } from '../support/processes.ts'

/*
 * Crash test: a Laurel process (web server and worker) runs a create run of 60 exam sessions at the
 * portal simulator; it is killed with SIGKILL in the middle, and `laurel serve` is started again on
 * the same database. With Redis (server mode) the sweeper resumes the run, which completes; without
 * it (embedded mode) the token died with the process and the run fails cleanly. Either way no session
 * exists twice at the portal and the run's token is wiped.
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
  simulator = await PortalSimulator.start({ accounts: [ACCOUNT], latencyMs: 50 })
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
  it('after a SIGKILL in the middle of a create run, the restarted app completes it (Redis) or fails it cleanly (embedded); nothing is created twice', async () => {
    const isServerMode = Boolean(env.REDIS_URL)
    const { scope, examSessionIds } = await withPlatform(env, setUp)

    const first = await processes.launch(['test/support/portal-run-child.ts'], /"ready"/)
    first.child.stdin.write(
      `${JSON.stringify({ orgId: scope.orgId, accountId: scope.accountId, examSessionIds, username: ACCOUNT.username, password: ACCOUNT.password })}\n`,
    )
    const runId = (JSON.parse(await first.next(/"runId"/)) as { runId: string }).runId
    await until('a third of the run to be sent', () => (createdAtPortal().length >= COUNT / 3 ? true : undefined), 30_000)
    first.child.kill('SIGKILL')
    await once(first.child, 'exit')
    const sentBeforeCrash = createdAtPortal().length
    assert.ok(sentBeforeCrash < COUNT, `killed in the middle (${sentBeforeCrash} of ${COUNT} sent)`)

    const second = await processes.launch(['src/main.ts', 'serve'], /Laurel is ready/)
    const { run, items, cacheKeys } = await withPlatform(env, async (platform) => {
      const run = await until<PortalRun>(
        'the run to finish',
        async () => {
          const current = await getPortalRun(platform.db, scope, runId)
          return isRunFinished(current.state) && current.tokenWipedAt ? current : undefined
        },
        45_000,
      )
      return { run, items: await listPortalRunItems(platform.db, scope, runId), cacheKeys: await platform.cache.keys() }
    })
    second.child.kill('SIGTERM')
    await once(second.child, 'exit')

    // Never twice: one portal session per exam session, whatever was re-sent after the restart.
    const keys = createdAtPortal().map((request) => request.idempotencyKey)
    assert.equal(new Set(keys).size, keys.length, 'no idempotency key created a session twice')
    const portalSessions = simulator.sessions()
    assert.equal(portalSessions.length, new Set(keys).size)
    assert.ok(keys.every((key) => examSessionIds.some((id) => portalIdempotencyKey(id) === key)))
    assert.deepEqual(
      items.filter((item) => item.state === 'pending'),
      [],
    )
    assert.ok(!cacheKeys.includes(`portal-run:${runId}`), 'the run token is not in the cache')

    if (isServerMode) {
      assert.equal(run.state, 'completed', run.message ?? '')
      assert.deepEqual(
        items.map((item) => item.state),
        examSessionIds.map(() => 'done'),
      )
      assert.equal(portalSessions.length, COUNT)
      assert.deepEqual(simulator.tokens().live, [], "the run's token is logged out at the portal")
    } else {
      assert.equal(run.state, 'failed')
      assert.equal(run.message, TOKEN_LOST_MESSAGE)
      const failed = items.filter((item) => item.state === 'failed')
      assert.ok(failed.length > 0 && failed.every((item) => item.message === TOKEN_LOST_MESSAGE))
      assert.equal(items.filter((item) => item.state === 'done').length + failed.length, COUNT)
    }
  })
})
