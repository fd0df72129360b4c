import { and, isNotNull, isNull, sql } from 'drizzle-orm'
import type { RetentionRule } from '../../platform/privacy/registry.ts'
import { countRows, deleteRows } from '../../platform/privacy/retention.ts'
import { accountEmails, accounts, emailTokens, guardianLinks, loginSessions } from './schema.ts'

/** Sign-ups whose address was never confirmed: erased in every feature, as an erasure request would. */
export const unverifiedSignUpsRule: RetentionRule = {
  key: 'identity.unverified-sign-ups',
  action: 'erase',
  what: 'accounts whose email address was never verified',
  from: 'the sign-up',
  period: { days: 7 },
  async apply(db, { isPastCutoff, dryRun, erase }) {
    const stale = await db
      .select({ id: accounts.id, email: accounts.email })
      .from(accounts)
      .where(and(isNull(accounts.emailVerifiedAt), isNull(accounts.disabledAt), isPastCutoff(accounts.createdAt)))
    if (!dryRun) for (const account of stale) await erase({ accountId: account.id, email: account.email })
    return stale.length
  },
}

/** Email links (verification, password reset, unlock) live at most 48 hours; used or not, they go then. */
export const emailTokensRule: RetentionRule = {
  key: 'identity.email-tokens',
  action: 'delete',
  what: 'email links (verification, password reset, unlock), used or expired',
  from: 'the link’s creation',
  period: { hours: 48 },
  apply: (db, { isPastCutoff, dryRun }) => deleteRows(db, emailTokens, isPastCutoff(emailTokens.createdAt), dryRun),
}

/** Extra addresses added but never confirmed: once their latest link expired they can only be added again. */
export const pendingEmailsRule: RetentionRule = {
  key: 'identity.pending-emails',
  action: 'delete',
  what: 'added email addresses never confirmed, with their link',
  from: 'the expiry of the latest link sent to confirm it',
  period: { days: 1 },
  apply: (db, { isPastCutoff, dryRun }) =>
    deleteRows(
      db,
      accountEmails,
      and(isNull(accountEmails.verifiedAt), isPastCutoff(sql`coalesce(${accountEmails.tokenExpiresAt}, ${accountEmails.createdAt})`)),
      dryRun,
    ),
}

/** A login session ends 24 hours after sign-in at most; its address and browser go with it. */
export const loginSessionsRule: RetentionRule = {
  key: 'identity.login-sessions',
  action: 'delete',
  what: 'login sessions with their IP address and browser',
  from: 'the sign-in',
  period: { hours: 24 },
  apply: (db, { isPastCutoff, dryRun }) => deleteRows(db, loginSessions, isPastCutoff(loginSessions.createdAt), dryRun),
}

/** A guardian's confirmation link works for 7 days; an unused one is forgotten then (signing in sends a new one). */
export const guardianLinksRule: RetentionRule = {
  key: 'identity.guardian-links',
  action: 'delete',
  what: 'unused confirmation links sent to parents or guardians',
  from: 'the link was sent',
  period: { days: 7 },
  apply: async (db, { isPastCutoff, dryRun }) => {
    const expired = and(
      isNull(guardianLinks.confirmedAt),
      isNotNull(guardianLinks.tokenHash),
      isPastCutoff(sql`${guardianLinks.tokenExpiresAt} - interval '7 days'`),
    )
    if (dryRun) return countRows(db, guardianLinks, expired)
    const cleared = await db.update(guardianLinks).set({ tokenHash: null, tokenExpiresAt: null }).where(expired).returning({ id: guardianLinks.childAccountId })
    return cleared.length
  },
}
