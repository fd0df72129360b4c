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

/** What a request needs to know about the login session behind its cookie. */
export interface ResolvedLoginSession {
  loginSession: Pick<LoginSession, 'id' | 'isPendingSecondFactor' | 'lastSeenAt' | 'expiresAt'>
  account: Pick<typeof accounts.$inferSelect, 'id' | 'email' | 'name' | 'isPlatformAdmin' | 'locale'>
}

const LOGIN_SESSION_MEMO = 'identity.login_session'

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

/**
 * Finds the live login session for a cookie token, ending it when idle or past its absolute limit.
 * The answer is remembered for a few seconds (platform.memo); whatever changes a login session or
 * its account calls `forgetLoginSessionsOf` afterwards.
 */
export async function resolveLoginSession(platform: Platform, token: string): Promise<ResolvedLoginSession | undefined> {
  const tokenHash = hashToken(token)
  const memo = platform.memo.table<ResolvedLoginSession>(LOGIN_SESSION_MEMO)
  const remembered = memo.get(tokenHash)
  const read = memo.beginRead()
  const resolved = remembered ?? (await readLoginSession(platform.db, tokenHash))
  if (!resolved) return undefined
  const { loginSession, account } = resolved
  const now = platform.clock.now()
  const isIdle = now.getTime() - loginSession.lastSeenAt.getTime() > IDLE_TIMEOUT_MS
  if (isIdle || loginSession.expiresAt <= now) {
    await platform.db.delete(loginSessions).where(eq(loginSessions.id, loginSession.id))
    await forgetLoginSessionsOf(platform, account.id)
    return undefined
  }
  if (remembered) return remembered
  if (now.getTime() - loginSession.lastSeenAt.getTime() > LAST_SEEN_GRANULARITY_MS) {
    await platform.db.update(loginSessions).set({ lastSeenAt: now }).where(eq(loginSessions.id, loginSession.id))
    loginSession.lastSeenAt = now
  }
  memo.set(tokenHash, resolved, [account.id], read)
  return resolved
}

async function readLoginSession(db: Db, tokenHash: string): Promise<ResolvedLoginSession | undefined> {
  const [row] = await db
    .select({
      loginSession: {
        id: loginSessions.id,
        isPendingSecondFactor: loginSessions.isPendingSecondFactor,
        lastSeenAt: loginSessions.lastSeenAt,
        expiresAt: loginSessions.expiresAt,
      },
      account: { id: accounts.id, email: accounts.email, name: accounts.name, isPlatformAdmin: accounts.isPlatformAdmin, locale: accounts.locale },
    })
    .from(loginSessions)
    .innerJoin(accounts, eq(accounts.id, loginSessions.accountId))
    .where(eq(loginSessions.tokenHash, tokenHash))
  return row
}

/** Call after a committed change to an account or its login sessions, so no request sees the old one. */
export async function forgetLoginSessionsOf(platform: Platform, accountId: string): Promise<void> {
  await platform.memo.forget(accountId)
}

export async function completeSecondFactor(platform: Platform, accountId: string, loginSessionId: string): Promise<void> {
  await platform.db.update(loginSessions).set({ isPendingSecondFactor: false }).where(eq(loginSessions.id, loginSessionId))
  await forgetLoginSessionsOf(platform, accountId)
}

export async function endLoginSession(platform: Platform, accountId: string, loginSessionId: string): Promise<void> {
  await platform.db.delete(loginSessions).where(eq(loginSessions.id, loginSessionId))
  await forgetLoginSessionsOf(platform, accountId)
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
  await forgetLoginSessionsOf(platform, accountId)
  await platform.audit.recordIn(platform.db, { action: 'identity.login_session_ended', actorAccountId: accountId, target: loginSessionId })
}

/** "Sign out everywhere else": ends every login session of the account but the given one. Forget them once committed. */
export async function signOutOtherLoginSessions(db: Db, accountId: string, keepLoginSessionId: string): Promise<number> {
  const deleted = await db
    .delete(loginSessions)
    .where(and(eq(loginSessions.accountId, accountId), ne(loginSessions.id, keepLoginSessionId)))
    .returning({ id: loginSessions.id })
  return deleted.length
}
