import { sql } from 'drizzle-orm'
import { boolean, date, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { createdAt, idColumn, timestamps } from '../../platform/db/columns.ts'
import type { Locale } from '../../platform/i18n/locales.ts'

export const accounts = pgTable(
  'accounts',
  {
    id: idColumn('acct'),
    /** Stored lower-cased; compared case-insensitively. */
    email: text().notNull(),
    name: text().notNull(),
    passwordHash: text().notNull(),
    emailVerifiedAt: timestamp({ withTimezone: true }),
    isPlatformAdmin: boolean().notNull().default(false),
    /** Keyring ciphertext of the TOTP secret. */
    totpSecret: text(),
    totpEnabledAt: timestamp({ withTimezone: true }),
    /** Optional; below the child age a parent or guardian must confirm the account (guardians.ts). */
    birthDate: date({ mode: 'string' }),
    /** Set when retention disabled the account: its personal columns are wiped, its ID stays as the member ID. */
    disabledAt: timestamp({ withTimezone: true }),
    /** The language the person chose for pages and emails (platform/i18n); null: decided per page. */
    locale: text().$type<Locale>(),
    ...timestamps,
  },
  (table) => [uniqueIndex('accounts_email_idx').on(table.email)],
)

/** Server-side login sessions; only a hash of the cookie token is stored. */
export const loginSessions = pgTable(
  'login_sessions',
  {
    id: idColumn('ls'),
    accountId: text()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    tokenHash: text().notNull(),
    /** Password checked but the second factor not yet given. */
    isPendingSecondFactor: boolean().notNull().default(false),
    ip: text(),
    userAgent: text(),
    createdAt: createdAt(),
    lastSeenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (table) => [uniqueIndex('login_sessions_token_hash_idx').on(table.tokenHash), index('login_sessions_account_idx').on(table.accountId)],
)

/**
 * A secret kept for one login session only (e.g. a testing-portal password), AES-256-GCM encrypted
 * with a key that lives only in the user's cookie: the database alone cannot decrypt it. Deleted with
 * the login session (sign-out, expiry) or when the feature drops it.
 */
export const loginSessionSecrets = pgTable(
  'login_session_secrets',
  {
    loginSessionId: text()
      .notNull()
      .references(() => loginSessions.id, { onDelete: 'cascade' }),
    purpose: text().notNull(),
    /** base64url of IV, ciphertext and tag. */
    ciphertext: text().notNull(),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.loginSessionId, table.purpose] })],
)

export type EmailTokenPurpose = 'verify_email' | 'reset_password' | 'unlock_sign_in'

/** One-time links sent by email; only a hash of the token is stored. */
export const emailTokens = pgTable(
  'email_tokens',
  {
    id: idColumn('etok'),
    accountId: text()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    purpose: text().$type<EmailTokenPurpose>().notNull(),
    tokenHash: text().notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    usedAt: timestamp({ withTimezone: true }),
  },
  (table) => [uniqueIndex('email_tokens_token_hash_idx').on(table.tokenHash), index('email_tokens_account_idx').on(table.accountId)],
)

export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: idColumn('rc'),
    accountId: text()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    codeHash: text().notNull(),
    usedAt: timestamp({ withTimezone: true }),
  },
  (table) => [index('recovery_codes_account_idx').on(table.accountId)],
)

/**
 * Failed sign-ins counted per key: `pair:<account id>:<ip>` (one person from one address) and
 * `ip:<ip>` (one address across accounts). A blocked pair stays blocked until an emailed unlock
 * link or an admin clears it; other addresses are never affected.
 */
export const signInThrottles = pgTable('sign_in_throttles', {
  key: text().primaryKey(),
  accountId: text(),
  failures: integer().notNull().default(0),
  lastFailureAt: timestamp({ withTimezone: true }).notNull(),
  blockedAt: timestamp({ withTimezone: true }),
})

export const apiKeys = pgTable(
  'api_keys',
  {
    id: idColumn('apik'),
    accountId: text()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    orgId: text().notNull(),
    name: text().notNull(),
    scope: text().$type<'read' | 'write'>().notNull(),
    /** The first characters shown in lists, so people can tell keys apart. */
    prefix: text().notNull(),
    keyHash: text().notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (table) => [uniqueIndex('api_keys_key_hash_idx').on(table.keyHash), index('api_keys_account_idx').on(table.accountId).where(sql`revoked_at is null`)],
)

/**
 * An account's extra email addresses (the primary one is `accounts.email`). A verified address belongs
 * to one account only; a pending one reserves nothing until its emailed link is opened.
 */
export const accountEmails = pgTable(
  'account_emails',
  {
    id: idColumn('aem'),
    accountId: text()
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    /** Stored lower-cased. */
    email: text().notNull(),
    verifiedAt: timestamp({ withTimezone: true }),
    /** Hash of the emailed verification link's token, until it is used. */
    tokenHash: text(),
    tokenExpiresAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('account_emails_account_email_idx').on(table.accountId, table.email),
    uniqueIndex('account_emails_verified_email_idx').on(table.email).where(sql`verified_at is not null`),
    uniqueIndex('account_emails_token_hash_idx').on(table.tokenHash),
  ],
)

/**
 * The parent or guardian who must confirm a child's account (one row per child). Until `confirmedAt`
 * the child cannot sign in. Only a hash of the emailed link's token is kept.
 */
export const guardianLinks = pgTable(
  'guardian_links',
  {
    childAccountId: text()
      .primaryKey()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    /** Stored lower-cased. */
    guardianEmail: text().notNull(),
    tokenHash: text(),
    tokenExpiresAt: timestamp({ withTimezone: true }),
    confirmedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex('guardian_links_token_hash_idx').on(table.tokenHash), index('guardian_links_guardian_email_idx').on(table.guardianEmail)],
)
