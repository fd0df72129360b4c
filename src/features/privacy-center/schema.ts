import { integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core'
import { timestamps } from '../../platform/db/columns.ts'

export interface SubProcessor {
  name: string
  purpose: string
  /** Country or region where it processes the data. */
  location: string
}

/** Per-org privacy choices; an org without a row uses the defaults in settings.ts. */
export const privacySettings = pgTable('privacy_settings', {
  orgId: text().primaryKey(),
  /** The data controller named in the policy; null: the organisation's own name. */
  controllerName: text(),
  /** Where people and the platform send privacy matters (overdue requests, breaches). */
  contactEmail: text(),
  requestDeadlineWorkingDays: integer().notNull().default(7),
  /** Days off besides weekends, as ISO dates (YYYY-MM-DD) in the org's time zone. */
  holidays: jsonb().$type<string[]>().notNull().default([]),
  /** Below this age a person needs a parent's or guardian's confirmation. */
  childAge: integer().notNull().default(13),
  subProcessors: jsonb().$type<SubProcessor[]>().notNull().default([]),
  internationalTransfers: text().notNull().default(''),
  /** Retention periods the org chose, in days, by rule key, within each rule's bounds. */
  retentionDays: jsonb().$type<Record<string, number>>().notNull().default({}),
  ...timestamps,
})
