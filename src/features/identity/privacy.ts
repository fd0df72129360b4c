import { and, eq, isNotNull, isNull, like, or } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import { escapeLike } from '../../platform/db/columns.ts'
import { definePrivacyProvider } from '../../platform/privacy/registry.ts'
import { emailTokensRule, guardianLinksRule, loginSessionsRule, pendingEmailsRule, unverifiedSignUpsRule } from './retention.ts'
import { accountEmails, accounts, apiKeys, emailTokens, guardianLinks, loginSessions, recoveryCodes, signInThrottles } from './schema.ts'

export const identityPrivacy = definePrivacyProvider({
  name: 'identity',
  stores: [
    {
      table: 'accounts',
      columns: ['email', 'name', 'password_hash', 'totp_secret', 'birth_date', 'locale'],
      purpose: 'Signing in and identifying the person',
      legalBasis: 'contract',
      retention:
        'Until the account is deleted; a sign-up whose email address is not verified within 7 days is deleted; an account whose certifications all lapsed is wiped and disabled (see credentials)',
      rules: [unverifiedSignUpsRule],
    },
    {
      table: 'account_emails',
      columns: ['email', 'token_hash'],
      purpose: 'Further email addresses the person added, to claim credentials sent to them',
      legalBasis: 'contract',
      retention: 'Until removed by the person or the account is deleted; an address not confirmed is deleted 1 day after its 48-hour link expired',
      rules: [pendingEmailsRule],
    },
    {
      table: 'login_sessions',
      columns: ['ip', 'user_agent'],
      purpose: 'Keeping people signed in and showing them where they are signed in',
      legalBasis: 'contract',
      retention: 'Up to 24 hours after sign-in',
      rules: [loginSessionsRule],
    },
    {
      table: 'email_tokens',
      columns: ['token_hash'],
      purpose: 'Email verification, password reset and unlock links',
      legalBasis: 'contract',
      retention: 'Deleted 48 hours after the link was sent (every link expires by then, most sooner)',
      rules: [emailTokensRule],
    },
    {
      table: 'recovery_codes',
      columns: ['code_hash'],
      purpose: 'Two-factor sign-in recovery',
      legalBasis: 'contract',
      retention: 'While two-factor sign-in is on',
    },
    {
      table: 'sign_in_throttles',
      columns: ['key'],
      purpose: 'Protecting accounts against password guessing',
      legalBasis: 'legitimate_interest',
      retention: 'Until a successful sign-in or unlock',
    },
    {
      table: 'api_keys',
      columns: ['name'],
      purpose: 'Programmatic access the person set up',
      legalBasis: 'contract',
      retention: 'Until revoked or the account is deleted',
    },
    {
      table: 'guardian_links',
      columns: ['guardian_email', 'token_hash'],
      purpose: 'A parent or guardian confirming the account of a child under 13, and acting on its privacy requests',
      legalBasis: 'legal_obligation',
      retention: 'Until the child’s account is deleted; an unused confirmation link for 7 days',
      rules: [guardianLinksRule],
    },
  ],
  notPersonal: [
    {
      table: 'accounts',
      columns: ['id', 'disabled_at'],
      reason: 'A random ID, kept as the member ID when the account is disabled, and when it was',
    },
    {
      table: 'account_emails',
      columns: ['id', 'account_id'],
      reason: 'Random IDs linking the row to its account; the row is deleted with the account',
    },
    {
      table: 'login_sessions',
      columns: ['id', 'account_id', 'token_hash'],
      reason: 'Random IDs and the hash of a random session token; deleted with the account',
    },
    {
      table: 'login_session_secrets',
      columns: ['login_session_id', 'purpose', 'ciphertext'],
      reason:
        'What a staff member typed for one login session (a vendor portal’s sign-in), encrypted with a key only their browser holds; deleted with the session',
    },
    { table: 'email_tokens', columns: ['id', 'account_id', 'purpose'], reason: 'Random IDs and what the one-time token is for; deleted with the account' },
    { table: 'recovery_codes', columns: ['id', 'account_id'], reason: 'Random IDs; the codes are hashed and deleted with the account' },
    { table: 'sign_in_throttles', columns: ['account_id'], reason: 'A random ID; the counters are deleted with the account' },
    {
      table: 'api_keys',
      columns: ['id', 'account_id', 'org_id', 'scope', 'prefix', 'key_hash'],
      reason: 'Random IDs, the key’s scope, its public prefix and the hash of a random secret',
    },
    { table: 'guardian_links', columns: ['child_account_id'], reason: 'The ID of the child’s account, whose data the accounts row declares' },
  ],
  retainedAfterErasure: [],
  async export(db, subject) {
    const [account] = subject.accountId ? await db.select().from(accounts).where(eq(accounts.id, subject.accountId)) : []
    const wards = await db.select().from(guardianLinks).where(eq(guardianLinks.guardianEmail, subject.email))
    const guardianOf = wards.map(({ childAccountId, confirmedAt }) => ({ childAccountId, confirmedAt }))
    if (!account) return { account: null, guardianOf }
    const sessions = await db.select().from(loginSessions).where(eq(loginSessions.accountId, account.id))
    const keys = await db.select().from(apiKeys).where(eq(apiKeys.accountId, account.id))
    const emails = await db.select().from(accountEmails).where(eq(accountEmails.accountId, account.id))
    const [guardian] = await db.select().from(guardianLinks).where(eq(guardianLinks.childAccountId, account.id))
    return {
      account: {
        id: account.id,
        email: account.email,
        name: account.name,
        emailVerifiedAt: account.emailVerifiedAt,
        twoFactorEnabledAt: account.totpEnabledAt,
        birthDate: account.birthDate,
        locale: account.locale,
        createdAt: account.createdAt,
      },
      guardian: guardian ? { email: guardian.guardianEmail, confirmedAt: guardian.confirmedAt } : null,
      guardianOf,
      otherEmails: emails.map(({ email, verifiedAt, createdAt }) => ({ email, verifiedAt, createdAt })),
      loginSessions: sessions.map(({ id, ip, userAgent, createdAt, lastSeenAt }) => ({ id, ip, userAgent, createdAt, lastSeenAt })),
      apiKeys: keys.map(({ id, name, orgId, scope, createdAt, lastUsedAt, revokedAt }) => ({ id, name, orgId, scope, createdAt, lastUsedAt, revokedAt })),
    }
  },
  async otherEmailsOf(db, subject) {
    if (!subject.accountId) return []
    const rows = await db
      .select({ email: accountEmails.email })
      .from(accountEmails)
      .where(and(eq(accountEmails.accountId, subject.accountId), isNotNull(accountEmails.verifiedAt)))
    return rows.map((row) => row.email)
  },
  async erase(db, subject) {
    await db
      .delete(accountEmails)
      .where(or(eq(accountEmails.email, subject.email), subject.accountId ? eq(accountEmails.accountId, subject.accountId) : undefined))
    await db
      .delete(signInThrottles)
      .where(
        or(
          subject.accountId ? eq(signInThrottles.accountId, subject.accountId) : undefined,
          like(signInThrottles.key, `pair:email:${escapeLike(subject.email)}:%`),
        ),
      )
    // A guardian erased: a confirmation given stays given (the row goes); a child still waiting keeps waiting,
    // with no address to remind.
    await db.delete(guardianLinks).where(and(eq(guardianLinks.guardianEmail, subject.email), isNotNull(guardianLinks.confirmedAt)))
    await db
      .update(guardianLinks)
      .set({ guardianEmail: '', tokenHash: null, tokenExpiresAt: null })
      .where(and(eq(guardianLinks.guardianEmail, subject.email), isNull(guardianLinks.confirmedAt)))
    if (!subject.accountId) return
    if (subject.keepsAccount) await disableAccount(db, subject.accountId)
    else await db.delete(accounts).where(eq(accounts.id, subject.accountId))
  },
})

/**
 * Wipes every personal column of the account and disables it; its ID stays as the member ID. What
 * deleting the row would cascade to is deleted here. The address becomes one that receives no mail and
 * no one can sign up with, since the column is unique and required.
 */
async function disableAccount(db: Db, accountId: string): Promise<void> {
  for (const table of [loginSessions, emailTokens, recoveryCodes, apiKeys]) await db.delete(table).where(eq(table.accountId, accountId))
  await db.delete(guardianLinks).where(eq(guardianLinks.childAccountId, accountId))
  await db
    .update(accounts)
    .set({
      email: `disabled-${accountId}@invalid`,
      name: '',
      passwordHash: '',
      isPlatformAdmin: false,
      totpSecret: null,
      totpEnabledAt: null,
      birthDate: null,
      locale: null,
      disabledAt: new Date(),
    })
    .where(eq(accounts.id, accountId))
}
