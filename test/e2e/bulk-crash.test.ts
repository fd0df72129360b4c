import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, describe, it } from 'node:test'
import { count, countDistinct, eq } from 'drizzle-orm'
import { loadConfig } from '../../src/config.ts'
import { createAchievement } from '../../src/features/credentials/achievements.ts'
import { confirmBulkIssuance, previewBulkIssuance } from '../../src/features/credentials/issuance/bulk.ts'
import { issueBulkJob } from '../../src/features/credentials/jobs.ts'
import { bulkIssuances, credentials } from '../../src/features/credentials/schema.ts'
import { createAccount } from '../../src/features/identity/service.ts'
import { createOrg, type OrgScope } from '../../src/features/orgs/service.ts'
import { type Database, openDatabase } from '../../src/platform/db/client.ts'
import { jobProgress } from '../../src/platform/jobs/schema.ts'
import type { Platform } from '../../src/platform/platform.ts'
import { strongPassword, uniqueEmail } from '../support/factories.ts'
import { createTestEnvironment, type TestEnvironment } from '../support/harness.ts'
import { freePort, LaurelProcesses, withPlatform } from '../support/processes.ts'
import { until } from '../support/until.ts'

/*
 * Crash test: `laurel serve` issues a confirmed CSV upload of 600 rows and is killed with SIGKILL once
 * its first chunk is stored; `laurel serve` is started again on the same database. The job's
 * heartbeat stops with the process, so the restarted worker takes the job up again and completes it
 * within a minute (not after pg-boss's 15-minute expiry): every row issued exactly once, and the
 * progress row and the upload counting the credentials that exist.
 */

const COUNT = 600

let environment: TestEnvironment
let env: Record<string, string>
let processes: LaurelProcesses

before(async () => {
  environment = await createTestEnvironment()
  env = { ...environment.env, HOST: '127.0.0.1', PORT: String(await freePort()), LOG_LEVEL: 'warn' }
  processes = new LaurelProcesses(env)
})
after(async () => {
  processes.killAll()
  await environment.dispose()
})

/** An org whose upload of COUNT recipients is confirmed: its job is queued for the first worker. */
async function setUp(platform: Platform): Promise<{ bulkIssuanceId: string; jobId: string }> {
  const account = await createAccount(platform, { email: uniqueEmail('crash'), name: 'Crash Tester', password: strongPassword(), isEmailVerified: true })
  const org = await createOrg(platform, account.id, { name: 'Crash Org' })
  const scope: OrgScope = { orgId: org.id, accountId: account.id, role: 'owner' }
  await createAchievement(platform, scope, { name: 'First Aid', description: 'd', criteria: 'c', tags: [], alignments: [], validityMonths: 12 })
  const rows = Array.from({ length: COUNT }, (_, i) => `graduate${i}@example.org,Graduate ${i},First Aid`)
  const preview = await previewBulkIssuance(platform, scope, {
    fileName: 'graduates.csv',
    content: Buffer.from(['email,name,achievement', ...rows].join('\n')),
  })
  assert.equal(preview.validRows, COUNT)
  // As `laurel serve` does before it takes requests: the queue starts outside the confirming transaction.
  await platform.jobs.start()
  const jobId = await confirmBulkIssuance(platform, scope, preview.id, (db, id) =>
    platform.jobs.enqueue(db, issueBulkJob, { orgId: scope.orgId, bulkIssuanceId: id }, { orgId: scope.orgId, accountId: scope.accountId }),
  )
  return { bulkIssuanceId: preview.id, jobId }
}

async function countIssued(database: Database, bulkIssuanceId: string): Promise<{ rows: number; recipients: number }> {
  const [counts] = await database.db
    .select({ rows: count(), recipients: countDistinct(credentials.recipientEmail) })
    .from(credentials)
    .where(eq(credentials.bulkIssuanceId, bulkIssuanceId))
  return counts ?? { rows: 0, recipients: 0 }
}

describe('bulk issuance crash', () => {
  it('after a SIGKILL in the middle of a bulk issuance, the restarted app completes it within 60 s, every row once, with counts that match', async () => {
    const { bulkIssuanceId, jobId } = await withPlatform(env, setUp)

    const first = await processes.launch(['src/main.ts', 'serve'], /Laurel is ready/)
    // Opened while a Laurel process serves the database (the embedded one lives in that process).
    const database = await openDatabase(loadConfig(env).database, { poolSize: 1 })
    try {
      await until('a first chunk to be issued', async () => ((await countIssued(database, bulkIssuanceId)).rows > 0 ? true : undefined), 60_000)
      first.child.kill('SIGKILL')
      await once(first.child, 'exit')

      const second = await processes.launch(['src/main.ts', 'serve'], /Laurel is ready/)
      const atRestart = await countIssued(database, bulkIssuanceId)
      assert.ok(atRestart.rows > 0 && atRestart.rows < COUNT, `killed in the middle (${atRestart.rows} of ${COUNT} issued)`)
      const progress = await until(
        'the job to complete',
        async () => {
          const [row] = await database.db.select().from(jobProgress).where(eq(jobProgress.jobId, jobId))
          return row?.state === 'completed' ? row : undefined
        },
        60_000,
      )
      const issued = await countIssued(database, bulkIssuanceId)
      const [bulk] = await database.db.select().from(bulkIssuances).where(eq(bulkIssuances.id, bulkIssuanceId))
      second.child.kill('SIGTERM')
      await once(second.child, 'exit')

      assert.deepEqual(issued, { rows: COUNT, recipients: COUNT }, 'every row issued once')
      assert.equal(progress.done, COUNT)
      assert.equal(progress.total, COUNT)
      assert.equal(progress.message, `${COUNT} issued`)
      assert.equal(bulk?.state, 'completed')
      assert.equal(bulk?.issued, COUNT)
    } finally {
      await database.close()
    }
  })
})
