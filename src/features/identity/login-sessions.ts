import { and, desc, eq, gt, ne } from 'drizzle-orm'
import { hashToken } from '../../platform/crypto/hashing.ts'
import type { Db } from '../../platform/db/client.ts'
import { NotFoundError } from '../../platform/errors.ts'
import { newSecret } from '../../platform/ids.ts'
import type { Platform } from '../../platform/platform.ts'
import { accounts, loginSessions } from './schema.ts'

export const LOGIN_SESSION_COOKIE = 'laurel_session'
/** Signed out after this long without a request. */
export const IDLE_TIMEOUT_MS = 2 * 3600_000
/** Signed out this long after sign-in, however active. */
export const ABSOLUTE_TIMEOUT_MS = 24 * 3600_000
const LAST_SEEN_GRANULARITY_MS = 60_000

export type LoginSession = typeof loginSessions.$inferSelect

export interface ResolvedLoginSession {
  loginSession: LoginSession
  account: typeof accounts.$inferSelect
}

/** Starts a login session and returns the cookie token; only its hash is stored. */
export async function startLoginSession(
  platform: Platform,
  db: Db,
  input: { accountId: string; ip: string; userAgent: string | null; isPendingSecondFactor: boolean },
): Promise<{ token: string; loginSession: LoginSession }> {
  const token = newSecret()
  const now = platform.clock.now()
  const [loginSession] = await db
    .insert(loginSessions)
    .values({
      accountId: input.accountId,
      tokenHash: hashToken(token),
      isPendingSecondFactor: input.isPendingSecondFactor,
      ip: input.ip,
      userAgent: input.userAgent?.slice(0, 500) ?? null,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + ABSOLUTE_TIMEOUT_MS),
    })
    .returning()
  if (!loginSession) throw new Error('The login session was not stored.')
  return { token, loginSession }
}

/** Finds the live login session for a cookie token, ending it when idle or past its absolute limit. */
export async function resolveLoginSession(platform: Platform, token: string): Promise<ResolvedLoginSession | undefined> {
  const [row] = await platform.db
    .select({ loginSession: loginSessions, account: accounts })
    .from(loginSessions)
    .innerJoin(accounts, eq(accounts.id, loginSessions.accountId))
    .where(eq(loginSessions.tokenHash, hashToken(token)))
  if (!row) return undefined
  const now = platform.clock.now()
  const isIdle = now.getTime() - row.loginSession.lastSeenAt.getTime() > IDLE_TIMEOUT_MS
  if (isIdle || row.loginSession.expiresAt <= now) {
    await platform.db.delete(loginSessions).where(eq(loginSessions.id, row.loginSession.id))
    return undefined
  }
  if (now.getTime() - row.loginSession.lastSeenAt.getTime() > LAST_SEEN_GRANULARITY_MS) {
    await platform.db.update(loginSessions).set({ lastSeenAt: now }).where(eq(loginSessions.id, row.loginSession.id))
  }
  return row
}

export async function completeSecondFactor(db: Db, loginSessionId: string): Promise<void> {
  await db.update(loginSessions).set({ isPendingSecondFactor: false }).where(eq(loginSessions.id, loginSessionId))
}

export async function endLoginSession(db: Db, loginSessionId: string): Promise<void> {
  await db.delete(loginSessions).where(eq(loginSessions.id, loginSessionId))
}

export async function listLoginSessions(platform: Platform, accountId: string): Promise<LoginSession[]> {
  return platform.db
    .select()
    .from(loginSessions)
    .where(and(eq(loginSessions.accountId, accountId), gt(loginSessions.expiresAt, platform.clock.now())))
    .orderBy(desc(loginSessions.lastSeenAt))
}

export async function signOutLoginSession(platform: Platform, accountId: string, loginSessionId: string): Promise<void> {
  const deleted = await platform.db
    .delete(loginSessions)
    .where(and(eq(loginSessions.accountId, accountId), eq(loginSessions.id, loginSessionId)))
    .returning({ id: loginSessions.id })
  if (deleted.length === 0) throw new NotFoundError('login_session', loginSessionId)
  await platform.audit.recordIn(platform.db, { action: 'identity.login_session_ended', actorAccountId: accountId, target: loginSessionId })
}

/** "Sign out everywhere else": ends every login session of the account but the given one. */
export async function signOutOtherLoginSessions(db: Db, accountId: string, keepLoginSessionId: string): Promise<number> {
  const deleted = await db
    .delete(loginSessions)
    .where(and(eq(loginSessions.accountId, accountId), ne(loginSessions.id, keepLoginSessionId)))
    .returning({ id: loginSessions.id })
  return deleted.length
}
