import { and, asc, eq, gt, isNotNull, isNull } from 'drizzle-orm'
import { hashToken } from '../../platform/crypto/hashing.ts'
import type { Db } from '../../platform/db/client.ts'
import { ConflictError, InvalidError, NotFoundError } from '../../platform/errors.ts'
import { newSecret } from '../../platform/ids.ts'
import type { Platform } from '../../platform/platform.ts'
import { forgetLoginSessionsOf } from './login-sessions.ts'
import { accountEmails, accounts } from './schema.ts'
import { type Account, getAccount, link, normalizeEmail } from './service.ts'

export const MAX_EMAILS_PER_ACCOUNT = 10
const VERIFY_LIFETIME_MS = 48 * 3600_000

export interface AccountEmail {
  /** Null for the primary address, which lives on the account itself. */
  id: string | null
  email: string
  isPrimary: boolean
  verifiedAt: Date | null
}

/** The primary address first, then the extra ones in the order they were added. */
export async function listAccountEmails(db: Db, accountId: string): Promise<AccountEmail[]> {
  const account = await getAccount(db, accountId)
  const extra = await db.select().from(accountEmails).where(eq(accountEmails.accountId, accountId)).orderBy(asc(accountEmails.createdAt))
  return [
    { id: null, email: account.email, isPrimary: true, verifiedAt: account.emailVerifiedAt },
    ...extra.map((row) => ({ id: row.id, email: row.email, isPrimary: false, verifiedAt: row.verifiedAt })),
  ]
}

/** Every address the account has proven it controls: what its credentials may be claimed by. */
export async function verifiedEmailsOf(platform: Platform, accountId: string): Promise<string[]> {
  return verifiedAddressesOf(platform.db, accountId)
}

export async function verifiedAddressesOf(db: Db, accountId: string): Promise<string[]> {
  return (await listAccountEmails(db, accountId)).filter((entry) => entry.verifiedAt).map((entry) => entry.email)
}

/** The account that has proven it controls the address, as its primary or a verified extra one. */
export async function findAccountByVerifiedEmail(db: Db, email: string): Promise<Account | undefined> {
  const normalized = normalizeEmail(email)
  const [extra] = await db
    .select({ accountId: accountEmails.accountId })
    .from(accountEmails)
    .where(and(eq(accountEmails.email, normalized), isNotNull(accountEmails.verifiedAt)))
  const [account] = await db
    .select()
    .from(accounts)
    .where(extra ? eq(accounts.id, extra.accountId) : and(eq(accounts.email, normalized), isNotNull(accounts.emailVerifiedAt)))
  return account
}

/** True when any account uses the address as its primary one or as a verified extra one. */
export async function isEmailInUse(db: Db, email: string): Promise<boolean> {
  const normalized = normalizeEmail(email)
  const [primary] = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.email, normalized))
  if (primary) return true
  const [extra] = await db
    .select({ id: accountEmails.id })
    .from(accountEmails)
    .where(and(eq(accountEmails.email, normalized), isNotNull(accountEmails.verifiedAt)))
  return Boolean(extra)
}

/**
 * Adds an address to the account and emails it a verification link. When another account already
 * uses it, that address gets a note instead and the caller sees the same answer, so this cannot be
 * used to find out who has an account.
 */
export async function addAccountEmail(platform: Platform, accountId: string, email: string): Promise<void> {
  const address = normalizeEmail(email)
  await platform.db.transaction(async (tx) => {
    const entries = await listAccountEmails(tx, accountId)
    if (entries.some((entry) => entry.email === address && entry.verifiedAt)) {
      throw new ConflictError('email_already_added', `${address} is already one of your addresses.`)
    }
    if (entries.length >= MAX_EMAILS_PER_ACCOUNT) {
      throw new InvalidError('too_many_emails', `An account can have up to ${MAX_EMAILS_PER_ACCOUNT} addresses; remove one first.`, {
        email: `Remove an address first (the limit is ${MAX_EMAILS_PER_ACCOUNT}).`,
      })
    }
    if (await isEmailInUse(tx, address)) {
      await platform.mailer.send(tx, {
        isEssential: true,
        to: address,
        subject: 'Someone tried to add your email to another account',
        text: `Someone (perhaps you) tried to add ${address} to a Laurel account, but it already belongs to another one.\n\nIf that was not you, you need not do anything.\n`,
      })
      return
    }
    const token = newSecret()
    const values = { tokenHash: hashToken(token), tokenExpiresAt: new Date(platform.clock.now().getTime() + VERIFY_LIFETIME_MS) }
    const [row] = await tx
      .insert(accountEmails)
      .values({ accountId, email: address, ...values })
      .onConflictDoUpdate({ target: [accountEmails.accountId, accountEmails.email], set: values })
      .returning()
    if (!row) throw new Error('The address was not stored.')
    const account = entries[0]
    await platform.mailer.send(tx, {
      isEssential: true,
      to: address,
      subject: 'Confirm your additional email address',
      text: `Hello,\n\nConfirm that ${address} is yours to add it to the Laurel account of ${account?.email ?? 'your account'}:\n${link(platform, `/account/emails/verify?token=${token}`)}\n\nCredentials sent to this address will then appear under "My credentials". The link works for 48 hours. If you did not ask for this, ignore this message.\n`,
    })
    await platform.audit.recordIn(tx, { action: 'identity.email_added', actorAccountId: accountId, target: row.id })
  })
}

/** Confirms an added address from its emailed link; fails if another account took the address meanwhile. */
export async function verifyAccountEmail(platform: Platform, token: string): Promise<{ accountId: string; email: string }> {
  return platform.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(accountEmails)
      .where(and(eq(accountEmails.tokenHash, hashToken(token)), isNull(accountEmails.verifiedAt), gt(accountEmails.tokenExpiresAt, platform.clock.now())))
    if (!row) throw new InvalidError('link_invalid', 'This link is invalid, expired or already used. Add the address again for a new one.')
    if (await isEmailInUse(tx, row.email)) {
      throw new ConflictError('email_in_use', `${row.email} now belongs to another account, so it cannot be added to yours.`)
    }
    await tx.update(accountEmails).set({ verifiedAt: platform.clock.now(), tokenHash: null, tokenExpiresAt: null }).where(eq(accountEmails.id, row.id))
    await platform.audit.recordIn(tx, { action: 'identity.email_verified', actorAccountId: row.accountId, target: row.id })
    return { accountId: row.accountId, email: row.email }
  })
}

async function extraEmailOf(db: Db, accountId: string, emailId: string) {
  const [row] = await db
    .select()
    .from(accountEmails)
    .where(and(eq(accountEmails.id, emailId), eq(accountEmails.accountId, accountId)))
  if (!row) throw new NotFoundError('email_address', emailId)
  return row
}

/** Removes an extra address; the primary one cannot be removed (make another one primary first). */
export async function removeAccountEmail(platform: Platform, accountId: string, emailId: string): Promise<void> {
  await platform.db.transaction(async (tx) => {
    const row = await extraEmailOf(tx, accountId, emailId)
    await tx.delete(accountEmails).where(eq(accountEmails.id, row.id))
    await platform.audit.recordIn(tx, { action: 'identity.email_removed', actorAccountId: accountId, target: row.id })
  })
}

/**
 * Makes a verified extra address the one the account signs in with. The old primary address stays on
 * the account as an extra one, so nothing (memberships, credentials, keys) changes hands.
 */
export async function makeAccountEmailPrimary(platform: Platform, accountId: string, emailId: string): Promise<void> {
  await platform.db.transaction(async (tx) => {
    const row = await extraEmailOf(tx, accountId, emailId)
    if (!row.verifiedAt) throw new ConflictError('email_not_verified', `Confirm ${row.email} from the link we emailed before making it your sign-in address.`)
    const account = await getAccount(tx, accountId)
    await tx.delete(accountEmails).where(eq(accountEmails.id, row.id))
    await tx.update(accounts).set({ email: row.email, emailVerifiedAt: row.verifiedAt }).where(eq(accounts.id, accountId))
    await tx.insert(accountEmails).values({ accountId, email: account.email, verifiedAt: account.emailVerifiedAt })
    await platform.audit.recordIn(tx, { action: 'identity.primary_email_changed', actorAccountId: accountId, target: accountId })
  })
  await forgetLoginSessionsOf(platform, accountId)
}
