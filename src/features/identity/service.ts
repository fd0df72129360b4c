import { and, count, eq, gt, inArray, isNull } from 'drizzle-orm'
import { hashToken } from '../../platform/crypto/hashing.ts'
import type { Db } from '../../platform/db/client.ts'
import { ConflictError, InvalidError, NotFoundError } from '../../platform/errors.ts'
import type { Locale } from '../../platform/i18n/locales.ts'
import { newSecret } from '../../platform/ids.ts'
import type { Platform } from '../../platform/platform.ts'
import { grantConsent } from '../privacy-center/consent/service.ts'
import { isEmailInUse } from './emails.ts'
import { checkBirthDate, guardianOf, requestGuardianConfirmation } from './guardians.ts'
import { forgetLoginSessionsOf, signOutOtherLoginSessions } from './login-sessions.ts'
import { checkPasswordRules, hashPassword, verifyPassword } from './passwords.ts'
import { accounts, type EmailTokenPurpose, emailTokens, loginSessions, signInThrottles } from './schema.ts'

export type Account = typeof accounts.$inferSelect

export interface RequestOrigin {
  ip: string
  userAgent: string | null
}

const TOKEN_LIFETIME_MS: Record<EmailTokenPurpose, number> = {
  verify_email: 48 * 3600_000,
  reset_password: 3600_000,
  unlock_sign_in: 24 * 3600_000,
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

export async function findAccountByEmail(db: Db, email: string): Promise<Account | undefined> {
  const [account] = await db
    .select()
    .from(accounts)
    .where(eq(accounts.email, normalizeEmail(email)))
  return account
}

export async function getAccount(db: Db, accountId: string): Promise<Account> {
  const [account] = await db.select().from(accounts).where(eq(accounts.id, accountId))
  if (!account) throw new NotFoundError('account', accountId)
  return account
}

export async function getAccounts(db: Db, accountIds: string[]): Promise<Account[]> {
  if (accountIds.length === 0) return []
  return db.select().from(accounts).where(inArray(accounts.id, accountIds))
}

export async function countAccounts(db: Db): Promise<number> {
  const [row] = await db.select({ total: count() }).from(accounts)
  return row?.total ?? 0
}

export interface NewAccountInput {
  email: string
  name: string
  password: string
  isEmailVerified?: boolean
  isPlatformAdmin?: boolean
}

/** Creates an account directly (CLI, demo data); sign-up goes through `signUp`. */
export async function createAccount(platform: Platform, input: NewAccountInput, db: Db = platform.db): Promise<Account> {
  const email = normalizeEmail(input.email)
  const problem = checkPasswordRules(input.password, { email, name: input.name })
  if (problem) throw new InvalidError('weak_password', problem, { password: problem })
  if (await isEmailInUse(db, email)) throw new ConflictError('email_taken', `An account with ${email} already exists.`)
  const [account] = await db
    .insert(accounts)
    .values({
      email,
      name: input.name.trim(),
      passwordHash: await hashPassword(input.password),
      emailVerifiedAt: input.isEmailVerified ? platform.clock.now() : null,
      isPlatformAdmin: input.isPlatformAdmin ?? false,
    })
    .returning()
  if (!account) throw new Error('The account was not created.')
  return account
}

export interface SignUpInput {
  email: string
  name: string
  password: string
  /** Optional, YYYY-MM-DD; under CHILD_AGE a guardian's address is required and must confirm the account. */
  birthDate?: string | undefined
  guardianEmail?: string | undefined
  /** The person ticked the (unticked by default) marketing opt-in; ignored for a child. */
  marketingOptIn?: boolean | undefined
}

/**
 * Registers a person and emails a verification link (and, for a child, a confirmation link to the
 * guardian). When the email already has an account, that person gets a note instead and the caller
 * sees the same answer, so sign-up cannot be used to find out who has an account.
 */
export async function signUp(platform: Platform, input: SignUpInput, origin: RequestOrigin) {
  const email = normalizeEmail(input.email)
  const problem = checkPasswordRules(input.password, { email, name: input.name })
  if (problem) throw new InvalidError('weak_password', problem, { password: problem })
  const isChild = checkBirthDate({ ...input, email }, platform.clock.now())
  const passwordHash = await hashPassword(input.password)
  await platform.db.transaction(async (tx) => {
    if (await isEmailInUse(tx, email)) {
      await platform.mailer.send(tx, {
        isEssential: true,
        to: email,
        subject: 'Someone tried to sign up with your email',
        text: `Someone (perhaps you) tried to create a Laurel account with ${email}, which already has one.\n\nSign in: ${link(platform, '/sign-in')}\nForgot your password? ${link(platform, '/password/forgot')}\n`,
      })
      return
    }
    const [account] = await tx
      .insert(accounts)
      .values({ email, name: input.name.trim(), passwordHash, birthDate: input.birthDate ?? null })
      .returning()
    if (!account) throw new Error('The account was not created.')
    await sendVerificationEmail(platform, tx, account)
    await platform.audit.recordIn(tx, { action: 'identity.signed_up', actorAccountId: account.id, target: account.id, ...origin })
    if (isChild) await requestGuardianConfirmation(platform, tx, account, input.guardianEmail ?? '')
    else if (input.marketingOptIn) await grantConsent(platform, tx, { email, accountId: account.id, orgId: null, purpose: 'marketing', source: 'sign_up' })
  })
}

export async function sendVerificationEmail(platform: Platform, db: Db, account: Account): Promise<void> {
  const token = await createEmailToken(platform, db, account.id, 'verify_email')
  await platform.mailer.send(db, {
    isEssential: true,
    to: account.email,
    subject: 'Confirm your email address',
    text: `Hello ${account.name},\n\nConfirm your email address to finish setting up your Laurel account:\n${link(platform, `/verify-email?token=${token}`)}\n\nThe link works for 48 hours. If you did not sign up, ignore this message.\n`,
  })
}

export async function verifyEmail(platform: Platform, token: string): Promise<Account> {
  return platform.db.transaction(async (tx) => {
    const accountId = await consumeEmailToken(platform, tx, token, 'verify_email')
    const [account] = await tx.update(accounts).set({ emailVerifiedAt: platform.clock.now() }).where(eq(accounts.id, accountId)).returning()
    if (!account) throw new NotFoundError('account', accountId)
    await platform.audit.recordIn(tx, { action: 'identity.email_verified', actorAccountId: accountId, target: accountId })
    return account
  })
}

/** Always answers the same way; sends a reset link only when the account exists. */
export async function requestPasswordReset(platform: Platform, email: string, origin: RequestOrigin): Promise<void> {
  await platform.db.transaction(async (tx) => {
    const account = await findAccountByEmail(tx, email)
    if (!account) return
    const token = await createEmailToken(platform, tx, account.id, 'reset_password')
    await platform.mailer.send(tx, {
      isEssential: true,
      to: account.email,
      subject: 'Reset your Laurel password',
      text: `Hello ${account.name},\n\nChoose a new password here:\n${link(platform, `/password/reset?token=${token}`)}\n\nThe link works for one hour. If you did not ask for this, ignore this message; your password stays the same.\n`,
    })
    await platform.audit.recordIn(tx, { action: 'identity.password_reset_requested', target: account.id, ...origin })
  })
}

/** Sets a new password from an emailed link; signs out every login session and lifts sign-in blocks. */
export async function resetPassword(platform: Platform, token: string, password: string, origin: RequestOrigin): Promise<Account> {
  const reset = await platform.db.transaction(async (tx) => {
    const accountId = await peekEmailToken(platform, tx, token, 'reset_password')
    const account = await getAccount(tx, accountId)
    const problem = checkPasswordRules(password, { email: account.email, name: account.name })
    if (problem) throw new InvalidError('weak_password', problem, { password: problem })
    await consumeEmailToken(platform, tx, token, 'reset_password')
    await tx
      .update(accounts)
      .set({ passwordHash: await hashPassword(password), emailVerifiedAt: account.emailVerifiedAt ?? platform.clock.now() })
      .where(eq(accounts.id, accountId))
    await tx.delete(loginSessions).where(eq(loginSessions.accountId, accountId))
    await tx.delete(signInThrottles).where(eq(signInThrottles.accountId, accountId))
    await platform.audit.recordIn(tx, { action: 'identity.password_reset', actorAccountId: accountId, target: accountId, ...origin })
    return account
  })
  await forgetLoginSessionsOf(platform, reset.id)
  return reset
}

export async function changePassword(
  platform: Platform,
  accountId: string,
  input: { currentPassword: string; newPassword: string; keepLoginSessionId: string | null },
): Promise<void> {
  const account = await getAccount(platform.db, accountId)
  if (!(await verifyPassword(account.passwordHash, input.currentPassword))) {
    throw new InvalidError('wrong_password', 'Your current password is not correct.', { currentPassword: 'Your current password is not correct.' })
  }
  const problem = checkPasswordRules(input.newPassword, { email: account.email, name: account.name })
  if (problem) throw new InvalidError('weak_password', problem, { newPassword: problem })
  const passwordHash = await hashPassword(input.newPassword)
  await platform.db.transaction(async (tx) => {
    await tx.update(accounts).set({ passwordHash }).where(eq(accounts.id, accountId))
    if (input.keepLoginSessionId) await signOutOtherLoginSessions(tx, accountId, input.keepLoginSessionId)
    await platform.audit.recordIn(tx, { action: 'identity.password_changed', actorAccountId: accountId, target: accountId })
  })
  await forgetLoginSessionsOf(platform, accountId)
}

export interface ProfileInput {
  name: string
  /** Absent: the birth date is left as it is; empty: removed. */
  birthDate?: string | undefined
  guardianEmail?: string | undefined
  /** Absent: left as it is; null: no preference (each page decides, see platform/i18n). */
  locale?: Locale | null
}

/**
 * Saves the profile. A birth date that makes the person a child, on an account no guardian has confirmed
 * yet, closes the account until the guardian whose address is given confirms it.
 */
export async function updateProfile(platform: Platform, accountId: string, input: ProfileInput): Promise<Account> {
  const account = await platform.db.transaction(async (tx) => {
    const before = await getAccount(tx, accountId)
    const birthDate = input.birthDate === undefined ? before.birthDate : input.birthDate || null
    const isChild = checkBirthDate({ birthDate: birthDate ?? undefined, guardianEmail: input.guardianEmail, email: before.email }, platform.clock.now())
    const [updated] = await tx.update(accounts).set({ name: input.name.trim(), birthDate, locale: input.locale }).where(eq(accounts.id, accountId)).returning()
    if (!updated) throw new NotFoundError('account', accountId)
    const guardian = await guardianOf(tx, accountId)
    if (isChild && !guardian?.confirmedAt) await requestGuardianConfirmation(platform, tx, updated, input.guardianEmail ?? '')
    return updated
  })
  await forgetLoginSessionsOf(platform, accountId)
  return account
}

export async function setPlatformAdmin(platform: Platform, email: string, isPlatformAdmin: boolean): Promise<Account> {
  const [account] = await platform.db
    .update(accounts)
    .set({ isPlatformAdmin })
    .where(eq(accounts.email, normalizeEmail(email)))
    .returning()
  if (!account) throw new NotFoundError('account', email)
  await platform.audit.recordIn(platform.db, {
    action: isPlatformAdmin ? 'identity.platform_admin_granted' : 'identity.platform_admin_revoked',
    target: account.id,
  })
  await forgetLoginSessionsOf(platform, account.id)
  return account
}

/** Where matters for the platform operator go (privacy requests to the platform). */
export async function platformAdminEmails(db: Db): Promise<string[]> {
  const rows = await db.select({ email: accounts.email }).from(accounts).where(eq(accounts.isPlatformAdmin, true))
  return rows.map((row) => row.email)
}

export async function createEmailToken(platform: Platform, db: Db, accountId: string, purpose: EmailTokenPurpose): Promise<string> {
  const token = newSecret()
  await db.insert(emailTokens).values({
    accountId,
    purpose,
    tokenHash: hashToken(token),
    expiresAt: new Date(platform.clock.now().getTime() + TOKEN_LIFETIME_MS[purpose]),
  })
  return token
}

async function peekEmailToken(platform: Platform, db: Db, token: string, purpose: EmailTokenPurpose): Promise<string> {
  const [row] = await db
    .select()
    .from(emailTokens)
    .where(
      and(
        eq(emailTokens.tokenHash, hashToken(token)),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, platform.clock.now()),
      ),
    )
  if (!row) throw new InvalidError('link_invalid', 'This link is invalid, expired or already used. Ask for a new one.')
  return row.accountId
}

/** Marks a one-time link used and returns its account; throws when it is unknown, expired or used. */
export async function consumeEmailToken(platform: Platform, db: Db, token: string, purpose: EmailTokenPurpose): Promise<string> {
  const accountId = await peekEmailToken(platform, db, token, purpose)
  await db
    .update(emailTokens)
    .set({ usedAt: platform.clock.now() })
    .where(eq(emailTokens.tokenHash, hashToken(token)))
  return accountId
}

/** A read-only projection of accounts that other features may join against (name and email only). */
export function accountDirectory(db: Db) {
  return db.select({ id: accounts.id, name: accounts.name, email: accounts.email }).from(accounts).as('account_directory')
}

export { revokeApiKeysForOrg } from './api-keys.ts'
export { findAccountByVerifiedEmail, listAccountEmails, verifiedAddressesOf, verifiedEmailsOf } from './emails.ts'
export { childEmailsAmong, guardianOf, isChildAccountEmail, isGuardianOf } from './guardians.ts'
export { dropSessionSecret, keepSessionSecret, readSessionSecret } from './session-secrets.ts'
export { unlockSignIn } from './sign-in.ts'

export function link(platform: Platform, path: string): string {
  return new URL(path, platform.config.publicUrl).toString()
}
