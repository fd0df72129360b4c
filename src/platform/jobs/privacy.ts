import { eq } from 'drizzle-orm'
import { definePrivacyProvider } from '../privacy/registry.ts'
import { jobProgress } from './schema.ts'

/** Job progress rows name who started a job (a staff member's bulk issuance, a person's own data export). */
export const jobsPrivacy = definePrivacyProvider({
  name: 'jobs',
  stores: [
    {
      table: 'job_progress',
      columns: ['account_id'],
      purpose: 'Showing whoever started a background job its progress and how it ended',
      legalBasis: 'contract',
      retention: 'While the job’s record is kept; on erasure the job no longer names who started it',
    },
  ],
  notPersonal: [
    {
      table: 'job_progress',
      columns: ['job_id', 'name', 'title', 'org_id', 'state', 'message'],
      reason: 'The job’s kind, fixed title, organisation, state and progress message, written by our code (counts and outcomes, no names)',
    },
  ],
  retainedAfterErasure: [],
  async export(db, subject) {
    if (!subject.accountId) return { jobs: [] }
    const rows = await db
      .select({ title: jobProgress.title, state: jobProgress.state, createdAt: jobProgress.createdAt, finishedAt: jobProgress.finishedAt })
      .from(jobProgress)
      .where(eq(jobProgress.accountId, subject.accountId))
    return { jobs: rows }
  },
  async erase(db, subject) {
    if (subject.accountId) await db.update(jobProgress).set({ accountId: null }).where(eq(jobProgress.accountId, subject.accountId))
  },
})
