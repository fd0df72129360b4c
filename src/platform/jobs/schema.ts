import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { timestamps } from '../db/columns.ts'

/** What a page shows about a background job: who started it, how far it got, how it ended. */
export const jobProgress = pgTable('job_progress', {
  jobId: text().primaryKey(),
  name: text().notNull(),
  title: text().notNull(),
  orgId: text(),
  accountId: text(),
  state: text().$type<JobState>().notNull().default('queued'),
  done: integer().notNull().default(0),
  total: integer().notNull().default(0),
  message: text(),
  ...timestamps,
  finishedAt: timestamp({ withTimezone: true }),
})

export type JobState = 'queued' | 'running' | 'completed' | 'failed'
