import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { idColumn } from '../../../platform/db/columns.ts'

/** What one rule removed (or, in a dry run, would remove) in a run. */
export interface RetentionRuleCount {
  key: string
  count: number
}

export type RetentionTrigger = 'schedule' | 'staff' | 'command'

/** Each retention run that changed the database (dry runs change nothing and are not kept). */
export const retentionRuns = pgTable(
  'retention_runs',
  {
    id: idColumn('rrun'),
    trigger: text().$type<RetentionTrigger>().notNull(),
    ranAt: timestamp({ withTimezone: true }).notNull(),
    counts: jsonb().$type<RetentionRuleCount[]>().notNull(),
  },
  (table) => [index('retention_runs_trigger_ran_idx').on(table.trigger, table.ranAt)],
)
