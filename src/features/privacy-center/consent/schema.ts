import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { createdAt, idColumn } from '../../../platform/db/columns.ts'

/**
 * `marketing`: news and offers, sent only with a recorded opt-in. `credential_emails`: the emails an
 * org sends when it issues a credential, sent by default and stopped by a withdrawal (unsubscribe).
 */
export type ConsentPurpose = 'marketing' | 'credential_emails'
export type ConsentSource = 'sign_up' | 'profile' | 'import' | 'api' | 'unsubscribe_link'

/**
 * Consent records, one row per grant (or per withdrawal of an opt-out purpose); the newest row of an
 * (email, org, purpose) decides. Rows are kept when withdrawn: they prove what was agreed, when and to
 * which wording.
 */
export const consents = pgTable(
  'consents',
  {
    id: idColumn('cons'),
    /** Lower-cased; the address the consent is for, with or without an account. */
    email: text().notNull(),
    accountId: text(),
    /** The organisation the consent is given to; null: the platform operator itself. */
    orgId: text(),
    purpose: text().$type<ConsentPurpose>().notNull(),
    /** Null for a withdrawal of a purpose that never needed a grant (credential_emails). */
    grantedAt: timestamp({ withTimezone: true }),
    /** The version of the wording the person agreed to (see wording.ts). */
    wordingVersion: text(),
    source: text().$type<ConsentSource>().notNull(),
    withdrawnAt: timestamp({ withTimezone: true }),
    withdrawnVia: text().$type<ConsentSource>(),
    createdAt: createdAt(),
  },
  (table) => [index('consents_email_purpose_idx').on(table.email, table.purpose, table.createdAt)],
)
