import { createHmac, hkdfSync } from 'node:crypto'
import { and, desc, eq, inArray, isNull } from 'drizzle-orm'
import { equalsConstantTime } from '../../../platform/crypto/hashing.ts'
import type { Db } from '../../../platform/db/client.ts'
import { InvalidError, MalformedError } from '../../../platform/errors.ts'
import { listUnsubscribeHeaders } from '../../../platform/mail/mailer.ts'
import type { Platform } from '../../../platform/platform.ts'
import { isRestricted, restrictedAmong } from '../../../platform/privacy/restrictions.ts'
import { isChildAccountEmail, link, normalizeEmail } from '../../identity/service.ts'
import { type ConsentPurpose, type ConsentSource, consents } from './schema.ts'
import { CONSENT_WORDING } from './wording.ts'

export { CONSENT_WORDING, PURPOSE_NAMES } from './wording.ts'

export const CONSENT_PURPOSES: ConsentPurpose[] = ['marketing', 'credential_emails']
/** Purposes that need an opt-in; the others hold until withdrawn. */
const OPT_IN_PURPOSES = new Set<ConsentPurpose>(['marketing'])

export interface ConsentTarget {
  email: string
  /** null: the platform operator itself. */
  orgId: string | null
  purpose: ConsentPurpose
}

export type Consent = typeof consents.$inferSelect

const sameTarget = (target: ConsentTarget) =>
  and(
    eq(consents.email, normalizeEmail(target.email)),
    eq(consents.purpose, target.purpose),
    target.orgId === null ? isNull(consents.orgId) : eq(consents.orgId, target.orgId),
  )

async function latestRecord(db: Db, target: ConsentTarget): Promise<Consent | undefined> {
  const [row] = await db.select().from(consents).where(sameTarget(target)).orderBy(desc(consents.createdAt), desc(consents.id)).limit(1)
  return row
}

const isGiven = (purpose: ConsentPurpose, latest: Consent | undefined) =>
  latest ? latest.withdrawnAt === null && latest.grantedAt !== null : !OPT_IN_PURPOSES.has(purpose)

/** Whether the purpose holds for the address: an opt-in granted and not withdrawn, or an opt-out not withdrawn. */
export async function hasConsent(db: Db, target: ConsentTarget): Promise<boolean> {
  return isGiven(target.purpose, await latestRecord(db, target))
}

/**
 * True when the person's data may be kept but not processed for marketing or analytics: a processing
 * restriction or objection stands, or the address belongs to a child's account. The one check every
 * processor (marketing mail, credential analytics) calls.
 */
export async function isProcessingLimited(db: Db, email: string, now: Date): Promise<boolean> {
  return (await isRestricted(db, email)) || (await isChildAccountEmail(db, email, now))
}

/**
 * Records a consent with the wording the person saw. Idempotent: a consent already in force is kept as
 * it is. Refused for a child's account (no marketing) and while processing is restricted.
 */
export async function grantConsent(
  platform: Platform,
  db: Db,
  input: ConsentTarget & { accountId: string | null; source: ConsentSource; wordingVersion?: string },
): Promise<Consent> {
  const now = platform.clock.now()
  if (OPT_IN_PURPOSES.has(input.purpose) && (await isProcessingLimited(db, input.email, now))) {
    throw new InvalidError('consent_refused', 'This address cannot receive marketing email: it belongs to a child’s account or its processing is restricted.')
  }
  const latest = await latestRecord(db, input)
  if (latest && isGiven(input.purpose, latest) && latest.grantedAt) return latest
  const [row] = await db
    .insert(consents)
    .values({
      email: normalizeEmail(input.email),
      accountId: input.accountId,
      orgId: input.orgId,
      purpose: input.purpose,
      grantedAt: now,
      wordingVersion: input.wordingVersion ?? CONSENT_WORDING[input.purpose].version,
      source: input.source,
    })
    .returning()
  if (!row) throw new Error('The consent was not stored.')
  await platform.audit.recordIn(db, {
    action: 'privacy.consent_granted',
    actorAccountId: input.accountId,
    orgId: input.orgId,
    target: row.id,
    data: { purpose: input.purpose, source: input.source },
  })
  return row
}

/**
 * Withdraws the consent: the open record gets its withdrawal time, or, for a purpose that holds by
 * default, a withdrawal record is written. Idempotent; false when there was nothing to withdraw.
 */
export async function withdrawConsent(platform: Platform, db: Db, input: ConsentTarget & { accountId: string | null; via: ConsentSource }): Promise<boolean> {
  const now = platform.clock.now()
  const latest = await latestRecord(db, input)
  if (!isGiven(input.purpose, latest)) return false
  let id: string
  if (latest) {
    await db.update(consents).set({ withdrawnAt: now, withdrawnVia: input.via }).where(eq(consents.id, latest.id))
    id = latest.id
  } else {
    const [row] = await db
      .insert(consents)
      .values({
        email: normalizeEmail(input.email),
        accountId: input.accountId,
        orgId: input.orgId,
        purpose: input.purpose,
        source: input.via,
        withdrawnAt: now,
        withdrawnVia: input.via,
      })
      .returning({ id: consents.id })
    id = row?.id ?? ''
  }
  await platform.audit.recordIn(db, {
    action: 'privacy.consent_withdrawn',
    actorAccountId: input.accountId,
    orgId: input.orgId,
    target: id,
    data: { purpose: input.purpose, via: input.via },
  })
  return true
}

/** Every consent record of these addresses, newest first: the history the person can see and withdraw from. */
export async function listConsents(db: Db, emails: string[]): Promise<Consent[]> {
  if (emails.length === 0) return []
  return db
    .select()
    .from(consents)
    .where(inArray(consents.email, emails.map(normalizeEmail)))
    .orderBy(desc(consents.createdAt), desc(consents.id))
}

/** The consents in force among these records: the newest record of each (org, purpose), when given. */
export function consentsInForce(records: Consent[]): Consent[] {
  const seen = new Set<string>()
  const inForce: Consent[] = []
  for (const record of records) {
    const key = `${record.email}|${record.orgId ?? ''}|${record.purpose}`
    if (seen.has(key)) continue
    seen.add(key)
    if (isGiven(record.purpose, record)) inForce.push(record)
  }
  return inForce
}

/**
 * Which addresses may get mail of this purpose from the org: consent holds, no child for opt-in purposes,
 * and no restriction unless `restrictedAreHeld` (the mailer then holds their message, visibly for staff).
 */
export async function mayEmailAmong(
  platform: Platform,
  db: Db,
  orgId: string | null,
  purpose: ConsentPurpose,
  emails: string[],
  options: { restrictedAreHeld?: boolean } = {},
): Promise<Set<string>> {
  const addresses = [...new Set(emails.map(normalizeEmail))]
  if (addresses.length === 0) return new Set()
  const records = await db
    .select()
    .from(consents)
    .where(and(inArray(consents.email, addresses), eq(consents.purpose, purpose), orgId === null ? isNull(consents.orgId) : eq(consents.orgId, orgId)))
    .orderBy(desc(consents.createdAt), desc(consents.id))
  const latest = new Map<string, Consent>()
  for (const record of records) if (!latest.has(record.email)) latest.set(record.email, record)
  const restricted = options.restrictedAreHeld ? new Set<string>() : await restrictedAmong(db, addresses)
  const allowed = new Set<string>()
  for (const email of addresses) {
    if (!isGiven(purpose, latest.get(email)) || restricted.has(email)) continue
    if (OPT_IN_PURPOSES.has(purpose) && (await isChildAccountEmail(db, email, platform.clock.now()))) continue
    allowed.add(email)
  }
  return allowed
}

// One-click unsubscribe links (RFC 8058): the token names the address, purpose and org and is signed with
// a key derived from the master key, so it needs no lookup and no sign-in, and cannot be made up.

function unsubscribeKey(platform: Platform): Buffer {
  return Buffer.from(hkdfSync('sha256', platform.masterKey, Buffer.alloc(0), 'laurel unsubscribe v1', 32))
}

const signature = (platform: Platform, payload: string) => createHmac('sha256', unsubscribeKey(platform)).update(payload).digest('base64url')

export function unsubscribeToken(platform: Platform, target: ConsentTarget): string {
  const payload = Buffer.from(JSON.stringify([normalizeEmail(target.email), target.purpose, target.orgId])).toString('base64url')
  return `${payload}.${signature(platform, payload)}`
}

/** The target a token names; throws a MalformedError for a forged, altered or cut token. */
export function readUnsubscribeToken(platform: Platform, token: string): ConsentTarget {
  const invalid = () =>
    new MalformedError('unsubscribe_link_invalid', 'This unsubscribe link is not valid: it may have been cut or changed. Use the link from the email itself.')
  const [payload = '', mac = '', ...rest] = token.split('.')
  if (rest.length > 0 || !payload || !equalsConstantTime(mac, signature(platform, payload))) throw invalid()
  try {
    const [email, purpose, orgId] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as [unknown, unknown, unknown]
    if (typeof email !== 'string' || !CONSENT_PURPOSES.includes(purpose as ConsentPurpose) || !(orgId === null || typeof orgId === 'string')) throw invalid()
    return { email, purpose: purpose as ConsentPurpose, orgId }
  } catch {
    throw invalid()
  }
}

export const unsubscribeUrl = (platform: Platform, target: ConsentTarget) => link(platform, `/unsubscribe/${unsubscribeToken(platform, target)}`)

/** The one-click withdrawal behind an unsubscribe link; idempotent. */
export async function unsubscribeWithToken(platform: Platform, token: string): Promise<{ target: ConsentTarget; wasWithdrawn: boolean }> {
  const target = readUnsubscribeToken(platform, token)
  const wasWithdrawn = await platform.db.transaction((tx) => withdrawConsent(platform, tx, { ...target, accountId: null, via: 'unsubscribe_link' }))
  return { target, wasWithdrawn }
}

/** What a bulk or marketing message to one address carries: its unsubscribe headers and the visible footer line. */
export function unsubscribeParts(platform: Platform, target: ConsentTarget, senderName: string) {
  const url = unsubscribeUrl(platform, target)
  const what = target.purpose === 'marketing' ? 'news and offers' : 'emails about your credentials'
  return {
    url,
    headers: listUnsubscribeHeaders(url),
    footerText: `\n\n--\nTo stop receiving ${what} from ${senderName}, unsubscribe here: ${url}\n`,
  }
}

export interface BulkMail {
  orgId: string | null
  senderName: string
  purpose: ConsentPurpose
  subject: string
  text: string
  recipients: string[]
}

/**
 * Sends a bulk or marketing message to each recipient who may get it (consent holds, not restricted, not
 * a child), with List-Unsubscribe headers and a visible unsubscribe link; the others are skipped.
 */
export async function sendBulkMail(platform: Platform, db: Db, mail: BulkMail): Promise<{ sent: string[]; skipped: string[] }> {
  const allowed = await mayEmailAmong(platform, db, mail.orgId, mail.purpose, mail.recipients)
  const sent = [...allowed]
  const skipped = [...new Set(mail.recipients.map(normalizeEmail))].filter((email) => !allowed.has(email))
  await platform.mailer.sendMany(
    db,
    sent.map((to) => {
      const parts = unsubscribeParts(platform, { email: to, orgId: mail.orgId, purpose: mail.purpose }, mail.senderName)
      return { to, orgId: mail.orgId, subject: mail.subject, text: `${mail.text}${parts.footerText}`, headers: parts.headers }
    }),
  )
  return { sent, skipped }
}

/** A marketing email to those who agreed to it; see `sendBulkMail`. */
export function sendMarketingMail(platform: Platform, db: Db, mail: Omit<BulkMail, 'purpose'>) {
  return sendBulkMail(platform, db, { ...mail, purpose: 'marketing' })
}

export { COOKIE_INVENTORY, type CookieDeclaration } from './cookie-inventory.ts'
