import { and, eq, isNotNull, like, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import type { Platform } from '../../platform/platform.ts'
import { isAwaitingGuardian, remindGuardianIfExpired } from './guardians.ts'
import { completeSecondFactor, startLoginSession } from './login-sessions.ts'
import { verifyAgainstDummy, verifyPassword } from './passwords.ts'
import { signInThrottles } from './schema.ts'
import {
  type Account,
  consumeEmailToken,
  createEmailToken,
  findAccountByEmail,
  link,
  normalizeEmail,
  type RequestOrigin,
  sendVerificationEmail,
} from './service.ts'
import { verifySecondFactor } from './two-factor.ts'

/** Failures of one (account, address) pair allowed before delays start. */
export const PAIR_FREE_FAILURES = 3
/** Failures of one pair after which that pair is blocked until unlocked. */
export const PAIR_BLOCK_FAILURES = 10
/** Failures from one address, across accounts, allowed before delays start for that address. */
export const IP_FREE_FAILURES = 20
const MAX_DELAY_SECONDS = 15 * 60

export type SignInResult =
  | { outcome: 'signed_in'; token: string; account: Account }
  | { outcome: 'second_factor_required'; token: string; account: Account }
  | { outcome: 'failed'; reason: 'bad_credentials' | 'email_not_verified' | 'guardian_pending' }
  | { outcome: 'throttled'; retryAfterSeconds: number }
  | { outcome: 'blocked' }

type Throttle = typeof signInThrottles.$inferSelect

/** The delay after `failures` failures, doubling from one second once `free` failures are used up. */
export function delaySeconds(failures: number, free: number): number {
  if (failures < free) return 0
  return Math.min(2 ** (failures - free), MAX_DELAY_SECONDS)
}

function secondsUntilAllowed(throttle: Throttle | undefined, free: number, now: Date): number {
  if (!throttle) return 0
  const waitMs = throttle.lastFailureAt.getTime() + delaySeconds(throttle.failures, free) * 1000 - now.getTime()
  return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0
}

const pairKey = (subject: string, ip: string) => `pair:${subject}:${ip}`
const ipKey = (ip: string) => `ip:${ip}`

/**
 * Checks a password sign-in. Failures are counted per (account, address) pair and per address, with
 * growing delays; a pair that keeps failing is blocked, but only that pair, so an attacker elsewhere
 * cannot lock a person out. Every attempt, whatever its outcome, goes to the audit log.
 */
export async function signIn(platform: Platform, input: { email: string; password: string }, origin: RequestOrigin): Promise<SignInResult> {
  const email = normalizeEmail(input.email)
  const now = platform.clock.now()
  const account = await findAccountByEmail(platform.db, email)
  const subject = account?.id ?? `email:${email}`
  const audit = (result: string, reason?: string) =>
    platform.audit.record({
      action: 'identity.sign_in',
      actorAccountId: account?.id ?? null,
      target: account?.id ?? null,
      data: { email, result, ...(reason ? { reason } : {}) },
      ip: origin.ip,
      userAgent: origin.userAgent,
    })

  const throttles = await platform.db
    .select()
    .from(signInThrottles)
    .where(sql`${signInThrottles.key} in (${pairKey(subject, origin.ip)}, ${ipKey(origin.ip)})`)
  const pair = throttles.find((throttle) => throttle.key.startsWith('pair:'))
  const byIp = throttles.find((throttle) => throttle.key.startsWith('ip:'))
  if (pair?.blockedAt) {
    audit('blocked', 'pair_blocked')
    return { outcome: 'blocked' }
  }
  const wait = Math.max(secondsUntilAllowed(pair, PAIR_FREE_FAILURES, now), secondsUntilAllowed(byIp, IP_FREE_FAILURES, now))
  if (wait > 0) {
    audit('throttled', 'too_many_failures')
    return { outcome: 'throttled', retryAfterSeconds: wait }
  }

  // A disabled account fails as a wrong password does.
  const isPasswordRight = account && !account.disabledAt ? await verifyPassword(account.passwordHash, input.password) : await verifyAgainstDummy(input.password)
  if (!account || !isPasswordRight) {
    const isNowBlocked = await recordFailure(platform, { subject, accountId: account?.id ?? null, ip: origin.ip, now })
    if (isNowBlocked && account) await sendUnlockEmail(platform, platform.db, account)
    audit(isNowBlocked ? 'blocked' : 'failed', account ? 'wrong_password' : 'unknown_email')
    return isNowBlocked ? { outcome: 'blocked' } : { outcome: 'failed', reason: 'bad_credentials' }
  }

  if (!account.emailVerifiedAt) {
    await sendVerificationEmail(platform, platform.db, account)
    audit('failed', 'email_not_verified')
    return { outcome: 'failed', reason: 'email_not_verified' }
  }

  if (await isAwaitingGuardian(platform.db, account.id)) {
    await remindGuardianIfExpired(platform, platform.db, account)
    audit('failed', 'guardian_pending')
    return { outcome: 'failed', reason: 'guardian_pending' }
  }

  await platform.db.delete(signInThrottles).where(eq(signInThrottles.key, pairKey(subject, origin.ip)))
  const needsSecondFactor = account.totpEnabledAt !== null
  const { token } = await startLoginSession(platform, platform.db, {
    accountId: account.id,
    ip: origin.ip,
    userAgent: origin.userAgent,
    isPendingSecondFactor: needsSecondFactor,
  })
  audit(needsSecondFactor ? 'second_factor_required' : 'success')
  return needsSecondFactor ? { outcome: 'second_factor_required', token, account } : { outcome: 'signed_in', token, account }
}

/** Checks the second factor of a pending login session; wrong codes count as failures of the pair. */
export async function completeSignIn(
  platform: Platform,
  input: { accountId: string; loginSessionId: string; code: string },
  origin: RequestOrigin,
): Promise<SignInResult> {
  const now = platform.clock.now()
  const key = pairKey(input.accountId, origin.ip)
  const [pair] = await platform.db.select().from(signInThrottles).where(eq(signInThrottles.key, key))
  const audit = (result: string, reason?: string) =>
    platform.audit.record({
      action: 'identity.sign_in_second_factor',
      actorAccountId: input.accountId,
      target: input.accountId,
      data: { result, ...(reason ? { reason } : {}) },
      ip: origin.ip,
      userAgent: origin.userAgent,
    })
  if (pair?.blockedAt) {
    audit('blocked', 'pair_blocked')
    return { outcome: 'blocked' }
  }
  const wait = secondsUntilAllowed(pair, PAIR_FREE_FAILURES, now)
  if (wait > 0) {
    audit('throttled', 'too_many_failures')
    return { outcome: 'throttled', retryAfterSeconds: wait }
  }
  const account = await verifySecondFactor(platform, input.accountId, input.code)
  if (!account) {
    const isNowBlocked = await recordFailure(platform, { subject: input.accountId, accountId: input.accountId, ip: origin.ip, now })
    audit(isNowBlocked ? 'blocked' : 'failed', 'wrong_code')
    return isNowBlocked ? { outcome: 'blocked' } : { outcome: 'failed', reason: 'bad_credentials' }
  }
  await completeSecondFactor(platform, input.accountId, input.loginSessionId)
  await platform.db.delete(signInThrottles).where(eq(signInThrottles.key, key))
  audit('success')
  return { outcome: 'signed_in', token: '', account }
}

async function recordFailure(platform: Platform, input: { subject: string; accountId: string | null; ip: string; now: Date }): Promise<boolean> {
  const bump = (key: string, accountId: string | null) =>
    platform.db
      .insert(signInThrottles)
      .values({ key, accountId, failures: 1, lastFailureAt: input.now })
      .onConflictDoUpdate({
        target: signInThrottles.key,
        set: { failures: sql`${signInThrottles.failures} + 1`, lastFailureAt: input.now },
      })
      .returning()
  await bump(ipKey(input.ip), null)
  const [pair] = await bump(pairKey(input.subject, input.ip), input.accountId)
  if (!pair || pair.failures < PAIR_BLOCK_FAILURES || pair.blockedAt) return false
  await platform.db.update(signInThrottles).set({ blockedAt: input.now }).where(eq(signInThrottles.key, pair.key))
  return true
}

async function sendUnlockEmail(platform: Platform, db: Db, account: Account): Promise<void> {
  const token = await createEmailToken(platform, db, account.id, 'unlock_sign_in')
  await platform.mailer.send(db, {
    isEssential: true,
    to: account.email,
    subject: 'Sign-in to your Laurel account was blocked',
    text: `Hello ${account.name},\n\nAfter many wrong passwords, sign-in to your account from one address was blocked. Other addresses are not affected.\n\nIf it was you, unlock sign-in here:\n${link(platform, `/unlock?token=${token}`)}\n\nIf it was not you, your account is safe; consider resetting your password: ${link(platform, '/password/forgot')}\n`,
  })
}

/** Sends a fresh unlock link when sign-in to this account is blocked from some address; silent otherwise. */
export async function requestUnlock(platform: Platform, email: string): Promise<void> {
  const account = await findAccountByEmail(platform.db, email)
  if (!account || !(await isSignInBlocked(platform.db, account.id))) return
  await sendUnlockEmail(platform, platform.db, account)
}

export async function isSignInBlocked(db: Db, accountId: string): Promise<boolean> {
  const [row] = await db
    .select({ key: signInThrottles.key })
    .from(signInThrottles)
    .where(and(eq(signInThrottles.accountId, accountId), isNotNull(signInThrottles.blockedAt)))
    .limit(1)
  return row !== undefined
}

/** Lifts every sign-in block and delay of an account: from its emailed link, or by an admin. */
export async function unlockSignIn(platform: Platform, db: Db, accountId: string, actor: { actorAccountId: string | null; orgId?: string }) {
  await db.delete(signInThrottles).where(and(eq(signInThrottles.accountId, accountId), like(signInThrottles.key, 'pair:%')))
  await platform.audit.recordIn(db, { action: 'identity.sign_in_unlocked', target: accountId, ...actor })
}

export async function unlockWithToken(platform: Platform, token: string): Promise<void> {
  await platform.db.transaction(async (tx) => {
    const accountId = await consumeEmailToken(platform, tx, token, 'unlock_sign_in')
    await unlockSignIn(platform, tx, accountId, { actorAccountId: accountId })
  })
}
