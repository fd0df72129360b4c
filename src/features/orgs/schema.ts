import { index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { createdAt, idColumn, timestamps } from '../../platform/db/columns.ts'
import type { Locale } from '../../platform/i18n/locales.ts'

export const ROLES = ['owner', 'admin', 'staff', 'trainer', 'member'] as const
export type Role = (typeof ROLES)[number]

export const orgs = pgTable('orgs', {
  id: idColumn('org'),
  name: text().notNull(),
  /** IANA time zone for display and deadlines. */
  timeZone: text().notNull().default('UTC'),
  /** The language of the org's credentials unless chosen at issue (platform/i18n). */
  defaultLocale: text().$type<Locale>().notNull().default('en'),
  ...timestamps,
})

export const members = pgTable(
  'members',
  {
    id: idColumn('mem'),
    orgId: text()
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    accountId: text().notNull(),
    role: text().$type<Role>().notNull(),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex('members_org_account_idx').on(table.orgId, table.accountId), index('members_account_idx').on(table.accountId)],
)

export const invitations = pgTable(
  'invitations',
  {
    id: idColumn('inv'),
    orgId: text()
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    email: text().notNull(),
    role: text().$type<Role>().notNull(),
    tokenHash: text().notNull(),
    invitedByAccountId: text(),
    createdAt: createdAt(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    acceptedAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (table) => [uniqueIndex('invitations_token_hash_idx').on(table.tokenHash), index('invitations_org_idx').on(table.orgId)],
)
