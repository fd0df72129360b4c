import { and, eq, inArray, isNotNull, isNull, or } from 'drizzle-orm'
import { hashToken } from '../../platform/crypto/hashing.ts'
import type { Db } from '../../platform/db/client.ts'
import { ConflictError, InvalidError } from '../../platform/errors.ts'
import { newSecret } from '../../platform/ids.ts'
import type { Platform } from '../../platform/platform.ts'
import { forgetLoginSessionsOf } from './login-sessions.ts'
import { accountEmails, accounts, guardianLinks, loginSessions } from './schema.ts'
import { type Account, link, normalizeEmail } from './service.ts'

/**
 * Below this age an account needs a parent's or guardian's confirmation. Sign-up is platform-wide, so it
 * uses the platform default (the privacy settings' `childAge` default); an org's higher age is not
 * applied to accounts (see docs/privacy-center.md, "Children").
 */
export const CHILD_AGE = 13
const GUARDIAN_LINK_LIFETIME_MS = 7 * 24 * 3600_000
const OLDEST_BIRTH_YEAR = 1900
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

/** Whole years between an ISO birth date and `now` (UTC). */
export function ageOn(birthDate: string, now: Date): number {
  const [year = 0, month = 0, day = 0] = birthDate.split('-').map(Number)
  const hasHadBirthday = now.getUTCMonth() + 1 > month || (now.getUTCMonth() + 1 === month && now.getUTCDate() >= day)
  return now.getUTCFullYear() - year - (hasHadBirthday ? 0 : 1)
}

export const isChildBirthDate = (birthDate: string | null, now: Date) => birthDate !== null && ageOn(birthDate, now) < CHILD_AGE

/** What is wrong with a birth date typed in a form, or undefined when it is a plausible one. */
export function birthDateProblem(birthDate: string, now: Date): string | undefined {
  const parsed = new Date(`${birthDate}T00:00:00Z`)
  if (!ISO_DATE.test(birthDate) || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== birthDate) {
    return 'Enter the date of birth as YYYY-MM-DD, e.g. 2001-04-23.'
  }
  if (parsed > now) return 'The date of birth cannot be in the future.'
  if (parsed.getUTCFullYear() < OLDEST_BIRTH_YEAR) return `Enter a date of birth after ${OLDEST_BIRTH_YEAR}.`
  return undefined
}

/**
 * Checks a birth date and, for a child, the guardian's address; throws an InvalidError naming the field.
 * Returns whether the person is a child.
 */
export function checkBirthDate(input: { birthDate?: string | undefined; guardianEmail?: string | undefined; email: string }, now: Date): boolean {
  if (!input.birthDate) return false
  const problem = birthDateProblem(input.birthDate, now)
  if (problem) throw new InvalidError('invalid_birth_date', problem, { birthDate: problem })
  if (!isChildBirthDate(input.birthDate, now)) return false
  const guardian = input.guardianEmail ? normalizeEmail(input.guardianEmail) : ''
  if (!guardian) {
    const message = `You are under ${CHILD_AGE}: enter the email address of a parent or guardian, who will confirm your account.`
    throw new InvalidError('guardian_required', message, { guardianEmail: message })
  }
  if (guardian === normalizeEmail(input.email)) {
    const message = 'Enter the address of your parent or guardian, not your own.'
    throw new InvalidError('guardian_is_self', message, { guardianEmail: message })
  }
  return true
}

/**
 * Asks the guardian, by an emailed one-time link, to confirm a child's account; until then the child
 * cannot sign in. Replaces any earlier link; ends the child's login sessions (forget them once committed).
 */
export async function requestGuardianConfirmation(platform: Platform, db: Db, child: Pick<Account, 'id' | 'name'>, guardianEmail: string): Promise<void> {
  const token = newSecret()
  const values = {
    guardianEmail: normalizeEmail(guardianEmail),
    tokenHash: hashToken(token),
    tokenExpiresAt: new Date(platform.clock.now().getTime() + GUARDIAN_LINK_LIFETIME_MS),
    confirmedAt: null,
  }
  await db
    .insert(guardianLinks)
    .values({ childAccountId: child.id, ...values })
    .onConflictDoUpdate({ target: guardianLinks.childAccountId, set: values })
  await db.delete(loginSessions).where(eq(loginSessions.accountId, child.id))
  await platform.mailer.send(db, {
    to: values.guardianEmail,
    subject: `Please confirm ${child.name}'s Laurel account`,
    text: `Hello,\n\n${child.name} created a Laurel account and gave your address as their parent or guardian. They are under ${CHILD_AGE}, so the account stays closed until you confirm it.\n\nIf you agree, confirm it here:\n${link(platform, `/guardian/confirm?token=${token}`)}\n\nThe link works for 7 days. The account gets no marketing email and its use is not analysed. As their guardian you can ask on their behalf to see, correct or erase their data.\n\nIf you do not know this person, ignore this message and the account stays closed.\n`,
  })
  await platform.audit.recordIn(db, { action: 'identity.guardian_confirmation_requested', actorAccountId: child.id, target: child.id })
}

/** Confirms a child's account from the guardian's link; a used, expired or unknown link changes nothing. */
export async function confirmGuardian(platform: Platform, token: string): Promise<void> {
  const childAccountId = await platform.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(guardianLinks)
      .where(eq(guardianLinks.tokenHash, hashToken(token)))
      .for('update')
    if (!row)
      throw new InvalidError(
        'link_invalid',
        'This confirmation link is not valid. Copy the whole link from the email, or ask the child to sign in again for a new one.',
      )
    if (row.confirmedAt) throw new ConflictError('link_used', 'This link was already used: the account is confirmed, nothing more to do.')
    if (!row.tokenExpiresAt || row.tokenExpiresAt <= platform.clock.now()) {
      throw new InvalidError('link_expired', 'This confirmation link has expired. When the child tries to sign in, a new link is sent to you.')
    }
    await tx.update(guardianLinks).set({ confirmedAt: platform.clock.now() }).where(eq(guardianLinks.childAccountId, row.childAccountId))
    await platform.audit.recordIn(tx, { action: 'identity.guardian_confirmed', target: row.childAccountId, data: { guardian: 'email link' } })
    return row.childAccountId
  })
  await forgetLoginSessionsOf(platform, childAccountId)
}

/** True while a child's account waits for its guardian: it cannot sign in. */
export async function isAwaitingGuardian(db: Db, accountId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: guardianLinks.childAccountId })
    .from(guardianLinks)
    .where(and(eq(guardianLinks.childAccountId, accountId), isNull(guardianLinks.confirmedAt)))
  return row !== undefined
}

/** Sends the guardian a fresh link when the last one expired (the child tried to sign in). */
export async function remindGuardianIfExpired(platform: Platform, db: Db, child: Pick<Account, 'id' | 'name'>): Promise<void> {
  const [row] = await db.select().from(guardianLinks).where(eq(guardianLinks.childAccountId, child.id))
  if (row && !row.confirmedAt && (!row.tokenExpiresAt || row.tokenExpiresAt <= platform.clock.now())) {
    await requestGuardianConfirmation(platform, db, child, row.guardianEmail)
  }
}

/** The child's parent or guardian, confirmed or not; for the privacy requests a guardian makes for a child. */
export async function guardianOf(db: Db, childAccountId: string): Promise<{ email: string; confirmedAt: Date | null } | undefined> {
  const [row] = await db.select().from(guardianLinks).where(eq(guardianLinks.childAccountId, childAccountId))
  return row ? { email: row.guardianEmail, confirmedAt: row.confirmedAt } : undefined
}

/** True when this address is the confirmed guardian of the child's account: they may act on its privacy requests. */
export async function isGuardianOf(db: Db, guardianEmail: string, childAccountId: string): Promise<boolean> {
  const guardian = await guardianOf(db, childAccountId)
  return guardian !== undefined && guardian.confirmedAt !== null && guardian.email === normalizeEmail(guardianEmail)
}

/**
 * True when the address (an account's primary or verified extra one) belongs to a child: no marketing
 * and no analytics for it (see `childEmailsAmong`).
 */
export async function isChildAccountEmail(db: Db, email: string, now: Date): Promise<boolean> {
  return (await childEmailsAmong(db, [email], now)).size > 0
}

/** Which of these addresses (lower-cased) belong to a child's account, in one query. */
export async function childEmailsAmong(db: Db, emails: string[], now: Date): Promise<Set<string>> {
  const addresses = [...new Set(emails.map(normalizeEmail))]
  if (addresses.length === 0) return new Set()
  const rows = await db
    .selectDistinct({ birthDate: accounts.birthDate, email: accounts.email, extraEmail: accountEmails.email })
    .from(accounts)
    .leftJoin(accountEmails, and(eq(accountEmails.accountId, accounts.id), isNotNull(accountEmails.verifiedAt)))
    .where(and(isNotNull(accounts.birthDate), or(inArray(accounts.email, addresses), inArray(accountEmails.email, addresses))))
  const children = new Set<string>()
  for (const row of rows) {
    if (!isChildBirthDate(row.birthDate, now)) continue
    for (const email of [row.email, row.extraEmail]) if (email && addresses.includes(email)) children.add(email)
  }
  return children
}
