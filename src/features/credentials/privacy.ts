import { and, eq, gte, inArray, isNotNull, isNull, lt, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import { mailMessages } from '../../platform/mail/schema.ts'
import { definePrivacyProvider, type Subject } from '../../platform/privacy/registry.ts'
import { eraseCredentialEvents, exportCredentialEvents, exportFoldedCredentialEvents } from './analytics/analytics.ts'
import { credentialEventsRule, lapsedCertificationsRule } from './retention.ts'
import { bulkIssuances, credentialDeliveries, credentialSettings, credentials, statusLists } from './schema.ts'

/** The revocation reason of credentials withdrawn on erasure; their public page says it in these words. */
export const WITHDRAWN_AT_HOLDERS_REQUEST = 'Withdrawn at the holder’s request'

/**
 * The verification record an erased holder's credential keeps in place of its signed file: its ID,
 * issuer, achievement, dates and status entry, and nothing about the holder (their name stays in
 * `recipient_name` unless the credential was withdrawn). No email hash, result or evidence.
 */
function verificationRecordOf(document: typeof credentials.document): SQL {
  const issuer = sql`${document}->'issuer'`
  return sql`jsonb_strip_nulls(jsonb_build_object(
    '@context', ${document}->'@context',
    'id', ${document}->'id',
    'type', '["VerificationRecord"]'::jsonb,
    'name', ${document}->'name',
    'issuer', case when jsonb_typeof(${issuer}) = 'object' then jsonb_build_object('id', ${issuer}->'id', 'name', ${issuer}->'name') else ${issuer} end,
    'validFrom', ${document}->'validFrom',
    'validUntil', ${document}->'validUntil',
    'credentialSubject', jsonb_build_object('achievement', jsonb_build_object(
      'id', ${document}->'credentialSubject'->'achievement'->'id',
      'name', ${document}->'credentialSubject'->'achievement'->'name')),
    'credentialStatus', ${document}->'credentialStatus'))`
}

export const credentialsPrivacy = definePrivacyProvider({
  name: 'credentials',
  stores: [
    {
      table: 'credentials',
      columns: ['recipient_email', 'recipient_name', 'document', 'holder_hidden_fields'],
      purpose: 'Issuing credentials and showing them on their public pages',
      legalBasis: 'contract',
      retention:
        'For the life of the credential; on erasure only a verification record stays (identifier, holder’s name, achievement, issuer, dates, status), or, when the organisation or the person chose it, the credential is withdrawn and the record keeps no name. 6 months after every certification of an account expired or was revoked, the holder’s data is erased as on request and the account disabled, keeping only its member ID, its organisation memberships and its CE records',
      rules: [lapsedCertificationsRule],
    },
    {
      table: 'credential_deliveries',
      columns: ['credential_id', 'mail_message_id'],
      purpose: 'Emailing each recipient their credential and showing staff whether the email arrived',
      legalBasis: 'contract',
      retention: 'For the life of the credential; deleted when the recipient is erased',
    },
    {
      table: 'bulk_issuances',
      columns: ['rows'],
      purpose: 'Issuing credentials from an uploaded CSV file',
      legalBasis: 'contract',
      retention: 'Until the upload is issued (the rows are then deleted)',
    },
    {
      table: 'certificate_designs',
      columns: ['signer_name', 'signature_data'],
      purpose: 'Showing who signs an achievement’s PDF certificates (the organisation’s own official, entered by its staff)',
      legalBasis: 'legitimate_interest',
      retention: 'Until the organisation changes or removes the signer in the design; not linked to an account, so staff correct it there',
    },
    {
      table: 'credential_events',
      columns: ['credential_id'],
      purpose:
        'Showing the issuer and the holder how a credential is used and verified (views, downloads, verifications by channel); no IP address, user agent or account is stored',
      legalBasis: 'legitimate_interest',
      retention:
        'For the life of the credential, each event for 13 months, then folded into monthly counts per credential and channel (below); deleted when its holder’s data is erased',
      rules: [credentialEventsRule],
    },
    {
      table: 'credential_event_months',
      columns: ['credential_id'],
      purpose: 'Keeping the issuer’s and holder’s usage totals of a credential once its events are folded into monthly counts',
      legalBasis: 'legitimate_interest',
      retention: 'For the life of the credential; deleted when its holder’s data is erased',
    },
  ],
  notPersonal: [
    {
      table: 'achievements',
      columns: ['id', 'org_id', 'name', 'description', 'criteria', 'image_type', 'tags', 'alignments'],
      reason: 'What an achievement attests, written by the organisation',
    },
    { table: 'issuer_keys', columns: ['id', 'org_id', 'key_type', 'public_key_multibase', 'secret_key_encrypted'], reason: 'The organisation’s signing keys' },
    { table: 'issuer_settings', columns: ['org_id', 'did_method', 'cryptosuite'], reason: 'How the organisation signs its credentials' },
    {
      table: 'status_lists',
      columns: ['id', 'org_id', 'purpose', 'document'],
      reason: 'Signed bitstrings of revocation and suspension bits; a bit says nothing without the credential that points at it',
    },
    {
      table: 'credentials',
      columns: [
        'id',
        'org_id',
        'achievement_id',
        'revocation_list_id',
        'suspension_list_id',
        'revocation_reason',
        'idempotency_key',
        'bulk_issuance_id',
        'issued_by_account_id',
        'replaces_credential_id',
        'locale',
      ],
      reason: 'Identifiers, the status slots, the reason staff gave for a revocation and the language the issuer chose for the credential',
    },
    {
      table: 'bulk_issuances',
      columns: ['id', 'org_id', 'file_name', 'file_sha256', 'state', 'job_id', 'created_by_account_id'],
      reason: 'The upload itself: its file’s name and digest, its state and who uploaded it (a staff account)',
    },
    {
      table: 'credential_settings',
      columns: ['org_id', 'erasure_policy', 'public_fields', 'email_subject', 'email_body'],
      reason: 'The organisation’s choices and its email template',
    },
    {
      table: 'certificate_designs',
      columns: ['achievement_id', 'org_id', 'layout', 'primary_color', 'accent_color', 'paper_size', 'signer_title', 'custom_fields'],
      reason: 'How an achievement’s certificate looks',
    },
    {
      table: 'credential_events',
      columns: ['id', 'org_id', 'achievement_id', 'kind', 'channel', 'outcome'],
      reason: 'What happened to a credential and through which channel; never who did it',
    },
    { table: 'credential_deliveries', columns: ['org_id'], reason: 'The issuing organisation' },
    {
      table: 'credential_event_months',
      columns: ['org_id', 'achievement_id', 'kind', 'channel'],
      reason: 'Monthly counts of what happened to credentials, by channel; never who did it',
    },
  ],
  retainedAfterErasure: [
    {
      table: 'credentials',
      column: 'recipient_name',
      reason:
        'The holder’s name on the verification record, so anyone with the link can confirm who holds the certificate, as certification policies declare; emptied when the credential is withdrawn at erasure',
    },
    {
      table: 'credentials',
      column: 'document',
      reason:
        'The verification record in place of the signed file: identifier, issuer, achievement, dates and status entry (no name, email hash, result or evidence), so verification by ID answers and the holder’s own copies keep their status',
    },
    {
      table: 'credentials',
      column: 'holder_hidden_fields',
      reason: 'The fields the holder chose to hide on the public page, so the page after erasure shows no more than they allowed',
    },
  ],
  subjectsHolding: {
    async credentials(db, { orgId, from, to }) {
      const rows = await db
        .selectDistinct({ email: credentials.recipientEmail, name: credentials.recipientName })
        .from(credentials)
        .where(
          and(
            eq(credentials.orgId, orgId),
            isNotNull(credentials.recipientEmail),
            from ? gte(credentials.createdAt, from) : undefined,
            to ? lt(credentials.createdAt, to) : undefined,
          ),
        )
      return rows.map((row) => ({ email: row.email ?? '', name: row.name, accountId: null }))
    },
  },
  async export(db, subject) {
    const rows = await db.select().from(credentials).where(eq(credentials.recipientEmail, subject.email))
    const deliveries = await db
      .select({ credentialId: credentialDeliveries.credentialId, state: mailMessages.status, attempts: mailMessages.attempts, sentAt: mailMessages.sentAt })
      .from(credentialDeliveries)
      .innerJoin(credentials, eq(credentials.id, credentialDeliveries.credentialId))
      .leftJoin(mailMessages, eq(mailMessages.id, credentialDeliveries.mailMessageId))
      .where(eq(credentials.recipientEmail, subject.email))
    return {
      deliveries,
      credentials: rows.map((row) => ({
        id: row.id,
        orgId: row.orgId,
        recipientName: row.recipientName,
        recipientEmail: row.recipientEmail,
        validFrom: row.validFrom,
        validUntil: row.validUntil,
        revokedAt: row.revokedAt,
        replacesCredentialId: row.replacesCredentialId,
        fieldsHiddenFromPublicPage: row.holderHiddenFields,
        verifiableCredential: row.document,
      })),
      credentialEvents: await exportCredentialEvents(
        db,
        rows.map((row) => row.id),
      ),
      credentialEventMonths: await exportFoldedCredentialEvents(
        db,
        rows.map((row) => row.id),
      ),
    }
  },
  /**
   * Strips the person from our copies: email, deliveries, analytics, result, evidence and the signed
   * file go; a verification record stays (see verificationRecordOf), so the public page and
   * verification by ID still answer, and copies the holder downloaded still verify (their status
   * slots stay). When the org's policy is "revoke", or the person asks, the credentials are withdrawn
   * instead and the record keeps no name.
   */
  async erase(db, subject, forgetAfterCommit) {
    await eraseCredentialsOf(db, subject, forgetAfterCommit)
    await eraseFromBulkUploads(db, subject.email)
  },
})

async function eraseCredentialsOf(db: Db, subject: Subject, forgetAfterCommit: (...ids: string[]) => void): Promise<void> {
  const rows = await db
    .select({
      id: credentials.id,
      revocationListId: credentials.revocationListId,
      suspensionListId: credentials.suspensionListId,
      policy: credentialSettings.erasurePolicy,
    })
    .from(credentials)
    .leftJoin(credentialSettings, eq(credentialSettings.orgId, credentials.orgId))
    .where(eq(credentials.recipientEmail, subject.email))
  if (rows.length === 0) return
  const ids = rows.map((row) => row.id)
  await eraseCredentialEvents(db, ids)
  await db.delete(credentialDeliveries).where(inArray(credentialDeliveries.credentialId, ids))
  // What verification by ID remembers of these credentials (see verifyById) goes with them.
  for (const row of rows) forgetAfterCommit(row.id, row.revocationListId, row.suspensionListId)
  const toRevoke = rows.filter((row) => subject.revokeCredentials || row.policy === 'revoke').map((row) => row.id)
  const now = new Date()
  if (toRevoke.length > 0) {
    const revoked = await db
      .update(credentials)
      .set({ revokedAt: now, revocationReason: WITHDRAWN_AT_HOLDERS_REQUEST })
      .where(and(inArray(credentials.id, toRevoke), isNull(credentials.revokedAt)))
      .returning({ listId: credentials.revocationListId })
    const listIds = [...new Set(revoked.map((row) => row.listId))]
    if (listIds.length > 0) await db.update(statusLists).set({ isStale: true }).where(inArray(statusLists.id, listIds))
    await db.update(credentials).set({ recipientName: '' }).where(inArray(credentials.id, toRevoke))
  }
  await db
    .update(credentials)
    .set({ recipientEmail: null, erasedAt: now, isIndexable: false, document: verificationRecordOf(credentials.document) })
    .where(inArray(credentials.id, ids))
}

async function eraseFromBulkUploads(db: Db, email: string): Promise<void> {
  const pending = await db
    .select({ id: bulkIssuances.id, rows: bulkIssuances.rows })
    .from(bulkIssuances)
    .where(sql`${bulkIssuances.rows} @> ${JSON.stringify([{ email: email }])}::jsonb`)
  for (const bulk of pending) {
    await db
      .update(bulkIssuances)
      .set({ rows: bulk.rows.filter((row) => row.email !== email) })
      .where(eq(bulkIssuances.id, bulk.id))
  }
}
