import { boolean, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { createdAt, idColumn } from '../../../platform/db/columns.ts'
import type { PolicyModel } from './model.ts'

/**
 * Every version of a generated privacy policy, kept forever: the install's (`policy` = `platform`) and
 * each organisation's (`policy` = its org ID). A version starts when the generated content changes.
 */
export const policyVersions = pgTable(
  'policy_versions',
  {
    id: idColumn('pol'),
    policy: text().notNull(),
    /** SHA-256 of the content model: the same content is the same version. */
    contentHash: text().notNull(),
    content: jsonb().$type<PolicyModel>().notNull(),
    effectiveAt: timestamp({ withTimezone: true }).notNull(),
    /** Set when the version changes what is collected, why or for how long: everyone is told. */
    isMaterialChange: boolean().notNull().default(false),
    /** The change notice has reached accounts up to this ID (the notice job goes through them in order). */
    notifiedThroughAccountId: text(),
    createdAt: createdAt(),
  },
  (table) => [index('policy_versions_policy_idx').on(table.policy, table.effectiveAt)],
)
