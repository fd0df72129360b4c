import { availableParallelism } from 'node:os'
import { eq } from 'drizzle-orm'
import { Type } from 'typebox'
import { defineJob, type JobRunContext } from '../../platform/jobs/jobs.ts'
import type { Platform } from '../../platform/platform.ts'
import { resolveOrgScope } from '../orgs/service.ts'
import { type IssueInput, issueCredentials } from './issuance/issuance.ts'
import { type BulkRow, bulkIssuances } from './schema.ts'
import { SigningPool } from './signing/sign.ts'

const CHUNK = 250

/** What one row of a confirmed upload issues. */
export const bulkRowInput = (row: BulkRow): IssueInput => ({
  achievementId: row.achievementId,
  recipientEmail: row.email,
  recipientName: row.name,
  validFrom: new Date(`${row.validFrom}T00:00:00Z`),
  idempotencyKey: row.idempotencyKey,
})

/**
 * Issues a confirmed CSV upload, in chunks, signing on every core. Safe to run twice: rows carry
 * idempotency keys, so a retried or restarted job skips what was already issued.
 */
export const issueBulkJob = defineJob({
  name: 'credentials.issue-bulk',
  title: 'Issue credentials from a CSV file',
  payload: Type.Object({ orgId: Type.String(), bulkIssuanceId: Type.String() }),
  retryLimit: 3,
  async run({ services: platform, progress }: JobRunContext<Platform>, { orgId, bulkIssuanceId }) {
    const [bulk] = await platform.db.select().from(bulkIssuances).where(eq(bulkIssuances.id, bulkIssuanceId))
    if (!bulk || bulk.orgId !== orgId || bulk.state === 'completed') return
    const scope = await resolveOrgScope(platform.db, { orgId, accountId: bulk.createdByAccountId, isPlatformAdmin: false })
    const pool = new SigningPool({ size: availableParallelism(), fastCanonicalization: true })
    try {
      let done = 0
      let issued = 0
      await progress(0, bulk.rows.length, `Issuing ${bulk.rows.length} credentials`)
      for (let start = 0; start < bulk.rows.length; start += CHUNK) {
        const chunk = bulk.rows.slice(start, start + CHUNK)
        const outcomes = await issueCredentials(platform, scope, chunk.map(bulkRowInput), {
          bulkIssuanceId,
          signBatch: (documents, signer, cryptosuite) => pool.sign(documents, signer, { cryptosuite }) as Promise<Record<string, unknown>[]>,
        })
        done += chunk.length
        // Counted from the rows, not from what this attempt inserted: an attempt taken up again after
        // a crash finds the chunks issued before it already there.
        issued += outcomes.filter((outcome) => outcome.credential.bulkIssuanceId === bulkIssuanceId).length
        await progress(done, bulk.rows.length, `${issued} issued`)
      }
      // The rows (names, emails) have served their purpose: keep only the counts.
      await platform.db.update(bulkIssuances).set({ state: 'completed', rows: [], issued }).where(eq(bulkIssuances.id, bulkIssuanceId))
    } finally {
      await pool.close()
    }
  },
})
