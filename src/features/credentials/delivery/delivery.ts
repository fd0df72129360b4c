import { and, count, desc, eq, inArray, isNull, sql } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { ConflictError } from '../../../platform/errors.ts'
import type { Locale } from '../../../platform/i18n/locales.ts'
import { messagesFor } from '../../../platform/i18n/messages.ts'
import type { RenderedAttachment } from '../../../platform/mail/mailer.ts'
import { type MailStatus, mailMessages } from '../../../platform/mail/schema.ts'
import type { Platform } from '../../../platform/platform.ts'
import { type OrgScope, requireRole } from '../../orgs/service.ts'
import { mayEmailAmong, unsubscribeParts } from '../../privacy-center/consent/service.ts'
import { recordCredentialEvent } from '../analytics/analytics.ts'
import type { CredentialRow } from '../issuance/issuance.ts'
import { renderCertificatePdf } from '../pdf/renderer.ts'
import { getCredential, getCredentials, statusOf } from '../queries.ts'
import { credentialDeliveries, credentialSettings, credentials } from '../schema.ts'
import { publicUrls } from '../urls.ts'
import {
  compileTemplate,
  DEFAULT_BODY,
  DEFAULT_SUBJECT,
  defaultTemplate,
  type EmailTemplate,
  htmlDocument,
  renderHtml,
  renderText,
  type TemplateValues,
  unsubscribeHtml,
  unsubscribeText,
} from './template.ts'

/** The mail attachment source of PDF certificates; its reference is the credential ID. */
export const CERTIFICATE_ATTACHMENT = 'credentials.certificate'
export const DELIVERY_STATES: MailStatus[] = ['queued', 'sent', 'failed', 'outbox', 'held']

/** Renders the attachment when the email is sent, so no PDF is stored and it always matches the credential. */
export async function certificateAttachment(platform: Platform, credentialId: string): Promise<RenderedAttachment> {
  const [credential] = await platform.db.select().from(credentials).where(eq(credentials.id, credentialId))
  if (!credential?.recipientEmail) throw new Error(`Credential ${credentialId} no longer exists or was erased.`)
  return { fileName: 'certificate.pdf', contentType: 'application/pdf', content: await renderCertificatePdf(platform, credential) }
}

export interface EmailSettings {
  emailSubject: string
  emailBody: string
  isPdfAttached: boolean
}

export async function getEmailSettings(db: Db, orgId: string): Promise<EmailSettings> {
  const [settings] = await db.select().from(credentialSettings).where(eq(credentialSettings.orgId, orgId))
  return {
    emailSubject: settings?.emailSubject ?? DEFAULT_SUBJECT,
    emailBody: settings?.emailBody ?? DEFAULT_BODY,
    isPdfAttached: settings?.isPdfAttached ?? false,
  }
}

/**
 * Saves the org's email. Saving the built-in English text unchanged keeps the built-in email, which goes
 * out in each credential's own language.
 */
export async function saveEmailSettings(platform: Platform, scope: OrgScope, input: EmailSettings): Promise<void> {
  requireRole(scope, 'admin')
  compileTemplate(input.emailSubject, input.emailBody)
  const isBuiltIn = input.emailSubject === DEFAULT_SUBJECT && input.emailBody === DEFAULT_BODY
  const values = { ...input, ...(isBuiltIn ? { emailSubject: null, emailBody: null } : {}) }
  await platform.db.transaction(async (tx) => {
    await tx
      .insert(credentialSettings)
      .values({ orgId: scope.orgId, ...values })
      .onConflictDoUpdate({ target: credentialSettings.orgId, set: values })
    await platform.audit.recordIn(tx, {
      action: 'credentials.email_settings_saved',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      data: { isPdfAttached: input.isPdfAttached },
    })
  })
}

/** The email as a recipient would get it; throws an InvalidError for a bad template. */
export function renderEmail(settings: Pick<EmailSettings, 'emailSubject' | 'emailBody'>, values: TemplateValues) {
  const template = compileTemplate(settings.emailSubject, settings.emailBody)
  return { subject: renderText(template.subject, values), text: renderText(template.body, values), htmlParagraphs: renderHtml(template.body, values) }
}

/** What the email's placeholders stand for, read from the signed credential as it was issued. */
function valuesOf(platform: Platform, credential: CredentialRow): TemplateValues {
  const document = credential.document as { name?: string; issuer?: { name?: string }; credentialSubject?: { achievement?: { name?: string } } }
  return {
    recipientName: credential.recipientName,
    achievementName: document.credentialSubject?.achievement?.name ?? document.name ?? '',
    orgName: document.issuer?.name ?? '',
    credentialUrl: publicUrls(platform.config).credentialVia(credential.id, 'email'),
  }
}

/**
 * Emails each credential's recipient, in the caller's transaction (issuance or resend), and points
 * its delivery record at the new message. Credentials without an address (erased) are skipped, and so
 * are recipients who unsubscribed from this org's credential emails; the mailer holds the message of a
 * recipient whose processing is restricted (staff see it held). These are bulk emails: each carries List-Unsubscribe (one click) and a visible unsubscribe link.
 */
export async function queueCredentialEmails(platform: Platform, tx: Db, orgId: string, rows: CredentialRow[]): Promise<string[]> {
  // A correction tells its holder itself (lineage.ts), in words that say what changed.
  const addressed = rows.filter((row) => row.recipientEmail && !row.replacesCredentialId)
  const allowed = await mayEmailAmong(
    platform,
    tx,
    orgId,
    'credential_emails',
    addressed.map((row) => row.recipientEmail ?? ''),
    { restrictedAreHeld: true },
  )
  const recipients = addressed.filter((row) => allowed.has((row.recipientEmail ?? '').toLowerCase()))
  if (recipients.length === 0) return []
  const [settings] = await tx.select().from(credentialSettings).where(eq(credentialSettings.orgId, orgId))
  const templates = new Map<Locale, EmailTemplate>()
  const templateIn = (locale: Locale) => {
    let template = templates.get(locale)
    if (!template) {
      const builtIn = defaultTemplate(messagesFor(locale))
      template = compileTemplate(settings?.emailSubject ?? builtIn.subject, settings?.emailBody ?? builtIn.body)
      templates.set(locale, template)
    }
    return template
  }
  const messageIds = await platform.mailer.sendMany(
    tx,
    recipients.map((credential) => {
      const values = valuesOf(platform, credential)
      const to = credential.recipientEmail ?? ''
      const m = messagesFor(credential.locale)
      const template = templateIn(credential.locale)
      const unsubscribe = unsubscribeParts(platform, { email: to, orgId, purpose: 'credential_emails' }, values.orgName)
      return {
        orgId,
        to,
        subject: renderText(template.subject, values),
        text: `${renderText(template.body, values)}${unsubscribeText(unsubscribe.url, values.orgName, m)}`,
        html: htmlDocument(`${renderHtml(template.body, values)}\n${unsubscribeHtml(unsubscribe.url, values.orgName, m)}`, m),
        headers: unsubscribe.headers,
        attachments: settings?.isPdfAttached ? [{ source: CERTIFICATE_ATTACHMENT, ref: credential.id }] : [],
      }
    }),
  )
  await tx
    .insert(credentialDeliveries)
    .values(recipients.map((credential, i) => ({ credentialId: credential.id, orgId, mailMessageId: messageIds[i] ?? '' })))
    .onConflictDoUpdate({
      target: credentialDeliveries.credentialId,
      set: { mailMessageId: sql`excluded.mail_message_id`, resends: sql`${credentialDeliveries.resends} + 1`, updatedAt: new Date() },
    })
  return recipients.map((credential) => credential.id)
}

/** Counts a credential email as delivered once the mail server has accepted it. */
export async function recordDeliveredEmail(platform: Platform, db: Db, messageId: string): Promise<void> {
  const [delivery] = await db
    .select({ credentialId: credentialDeliveries.credentialId, orgId: credentialDeliveries.orgId })
    .from(credentialDeliveries)
    .where(eq(credentialDeliveries.mailMessageId, messageId))
  if (delivery) await recordCredentialEvent(platform, { ...delivery, kind: 'delivered', channel: 'email' })
}

export interface Delivery {
  state: MailStatus
  attempts: number
  lastError: string | null
  sentAt: Date | null
  queuedAt: Date
  resends: number
}

export async function getDelivery(db: Db, scope: OrgScope, credentialId: string): Promise<Delivery | undefined> {
  const [row] = await db
    .select({
      state: mailMessages.status,
      attempts: mailMessages.attempts,
      lastError: mailMessages.error,
      sentAt: mailMessages.sentAt,
      queuedAt: mailMessages.createdAt,
      resends: credentialDeliveries.resends,
    })
    .from(credentialDeliveries)
    .innerJoin(mailMessages, eq(mailMessages.id, credentialDeliveries.mailMessageId))
    .where(and(eq(credentialDeliveries.orgId, scope.orgId), eq(credentialDeliveries.credentialId, credentialId)))
  return row
}

/** How many of a bulk issuance's emails are in each state. */
export async function bulkDeliveryCounts(db: Db, scope: OrgScope, bulkIssuanceId: string): Promise<Partial<Record<MailStatus, number>>> {
  const rows = await db
    .select({ state: mailMessages.status, total: count() })
    .from(credentials)
    .innerJoin(credentialDeliveries, eq(credentialDeliveries.credentialId, credentials.id))
    .innerJoin(mailMessages, eq(mailMessages.id, credentialDeliveries.mailMessageId))
    .where(and(eq(credentials.orgId, scope.orgId), eq(credentials.bulkIssuanceId, bulkIssuanceId)))
    .groupBy(mailMessages.status)
  return Object.fromEntries(rows.map((row) => [row.state, row.total]))
}

/** Why a credential's email cannot be sent again now, if it cannot. */
function resendRefusal(credential: CredentialRow, deliveryState: MailStatus | undefined): ConflictError | undefined {
  if (!credential.recipientEmail) return new ConflictError('no_recipient_email', 'This credential has no email address to send to: its holder was erased.')
  if (credential.revokedAt) return new ConflictError('credential_revoked', 'This credential is revoked; it is not emailed again.')
  if (deliveryState === 'queued') return new ConflictError('delivery_in_progress', 'The email is still being sent; wait until it is sent or has failed.')
  return undefined
}

/** Sends a credential's email again with the current template; not while the last one is still being sent. */
export async function resendDelivery(platform: Platform, scope: OrgScope, credentialId: string): Promise<void> {
  requireRole(scope, 'staff')
  await platform.db.transaction(async (tx) => {
    const credential = await getCredential(tx, scope, credentialId)
    const refusal = resendRefusal(credential, (await getDelivery(tx, scope, credentialId))?.state)
    if (refusal) throw refusal
    await queueCredentialEmails(platform, tx, scope.orgId, [credential])
    await platform.audit.recordIn(tx, { action: 'credentials.delivery_resent', orgId: scope.orgId, actorAccountId: scope.accountId, target: credentialId })
  })
}

export type ResendSkipReason = 'no_recipient_email' | 'credential_revoked' | 'delivery_in_progress' | 'not_emailed'

export interface BulkResend {
  resent: number
  skipped: Partial<Record<ResendSkipReason, number>>
}

/**
 * Sends again the emails of the selected credentials, in one transaction: all must be the org's (else
 * nothing is sent); those that cannot be sent (see `resendRefusal`) and those `queueCredentialEmails` passes over (unsubscribed, corrections)
 * are counted by reason; each one resent is audited.
 */
export async function resendDeliveries(platform: Platform, scope: OrgScope, credentialIds: string[]): Promise<BulkResend> {
  requireRole(scope, 'staff')
  return platform.db.transaction(async (tx) => {
    const rows = await getCredentials(tx, scope, credentialIds)
    const states = await tx
      .select({ credentialId: credentialDeliveries.credentialId, state: mailMessages.status })
      .from(credentialDeliveries)
      .innerJoin(mailMessages, eq(mailMessages.id, credentialDeliveries.mailMessageId))
      .where(
        and(
          eq(credentialDeliveries.orgId, scope.orgId),
          inArray(
            credentialDeliveries.credentialId,
            rows.map((row) => row.id),
          ),
        ),
      )
    const stateOf = new Map(states.map((row) => [row.credentialId, row.state]))
    const skipped: BulkResend['skipped'] = {}
    const eligible = rows.filter((row) => {
      const refusal = resendRefusal(row, stateOf.get(row.id))
      if (refusal) skipped[refusal.code as ResendSkipReason] = (skipped[refusal.code as ResendSkipReason] ?? 0) + 1
      return !refusal
    })
    const emailed = await queueCredentialEmails(platform, tx, scope.orgId, eligible)
    if (emailed.length < eligible.length) skipped.not_emailed = eligible.length - emailed.length
    for (const credentialId of emailed) {
      await platform.audit.recordIn(tx, { action: 'credentials.delivery_resent', orgId: scope.orgId, actorAccountId: scope.accountId, target: credentialId })
    }
    return { resent: emailed.length, skipped }
  })
}

/** Sends again every failed email of the org, or of one bulk issuance; returns how many. */
export async function resendFailedDeliveries(platform: Platform, scope: OrgScope, options: { bulkIssuanceId?: string } = {}): Promise<number> {
  requireRole(scope, 'staff')
  return platform.db.transaction(async (tx) => {
    const failed = await tx
      .select({ credential: credentials })
      .from(credentialDeliveries)
      .innerJoin(mailMessages, eq(mailMessages.id, credentialDeliveries.mailMessageId))
      .innerJoin(credentials, eq(credentials.id, credentialDeliveries.credentialId))
      .where(
        and(
          eq(credentialDeliveries.orgId, scope.orgId),
          eq(mailMessages.status, 'failed'),
          isNull(credentials.revokedAt),
          options.bulkIssuanceId ? eq(credentials.bulkIssuanceId, options.bulkIssuanceId) : undefined,
        ),
      )
    await queueCredentialEmails(
      platform,
      tx,
      scope.orgId,
      failed.map((row) => row.credential),
    )
    await platform.audit.recordIn(tx, {
      action: 'credentials.failed_deliveries_resent',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: options.bulkIssuanceId ?? null,
      data: { count: failed.length },
    })
    return failed.length
  })
}

export const MY_CREDENTIALS_PAGE_SIZE = 50

/** Credentials issued to any of the given (verified) addresses, in every org, newest first. */
export async function listCredentialsForEmails(db: Db, emails: string[], page: number, now: Date) {
  if (emails.length === 0) return { items: [], total: 0, page: 1, pageCount: 1 }
  const where = inArray(credentials.recipientEmail, emails)
  const [totals] = await db.select({ total: count() }).from(credentials).where(where)
  const rows = await db
    .select({
      id: credentials.id,
      recipientEmail: credentials.recipientEmail,
      recipientName: credentials.recipientName,
      achievementName: sql<string | null>`${credentials.document}->'credentialSubject'->'achievement'->>'name'`,
      issuerName: sql<string | null>`${credentials.document}->'issuer'->>'name'`,
      validFrom: credentials.validFrom,
      validUntil: credentials.validUntil,
      revokedAt: credentials.revokedAt,
      suspendedAt: credentials.suspendedAt,
    })
    .from(credentials)
    .where(where)
    .orderBy(desc(credentials.createdAt), desc(credentials.id))
    .limit(MY_CREDENTIALS_PAGE_SIZE)
    .offset((page - 1) * MY_CREDENTIALS_PAGE_SIZE)
  const total = totals?.total ?? 0
  return {
    items: rows.map((row) => ({ ...row, status: statusOf(row, now) })),
    total,
    page,
    pageCount: Math.max(1, Math.ceil(total / MY_CREDENTIALS_PAGE_SIZE)),
  }
}
