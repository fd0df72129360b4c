import { pgTable, text } from 'drizzle-orm/pg-core'
import { createdAt } from '../db/columns.ts'

export type RestrictionKind = 'restriction' | 'objection'

/**
 * People who asked that their data be kept but not processed (restriction) or not used for the
 * organisation's legitimate interests (objection): no marketing, analytics, directory listing or new
 * emails while a row stands. Keyed by lower-case email so it also covers people without an account.
 */
export const processingRestrictions = pgTable('processing_restrictions', {
  email: text().primaryKey(),
  kind: text().$type<RestrictionKind>().notNull(),
  /** The privacy request that set it, if any. */
  requestId: text(),
  createdAt: createdAt(),
})
