import { and, eq, inArray, isNull, sql } from 'drizzle-orm'
import { mailMessages } from '../../platform/mail/schema.ts'
import { definePrivacyProvider } from '../../platform/privacy/registry.ts'
import { eraseCredentialEvents, exportCredentialEvents, exportFoldedCredentialEvents } from './analytics.ts'
import { credentialEventsRule } from './retention.ts'
import { bulkIssuances, credentialDeliveries, credentialSettings, credentials, statusLists } from './schema.ts'

export const credentialsPrivacy = definePrivacyProvider({
  name: 'credentials',
  stores: [
    {
      table: 'credentials',
      columns: ['recipient_email', 'recipient_name', 'document', 'holder_hidden_fields'],
      purpose: 'Issuing credentials and showing them on their public pages',
      legalBasis: 'contract',
      retention: 'For the life of the credential; on erasure, revoked or anonymised as the organisation chose',
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
  retainedAfterErasure: [],
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
   * Strips the person from our copies: the signed document, name and email go. What verification of
   * copies the holder already has needs (the credential's status slots) stays. Orgs whose policy is
   * "revoke" also revoke the credential, so those copies stop verifying.
   */
  async erase(db, subject, forgetAfterCommit) {
    const rows = await db
      .select({
        id: credentials.id,
        orgId: credentials.orgId,
        revocationListId: credentials.revocationListId,
        suspensionListId: credentials.suspensionListId,
        policy: credentialSettings.erasurePolicy,
      })
      .from(credentials)
      .leftJoin(credentialSettings, eq(credentialSettings.orgId, credentials.orgId))
      .where(eq(credentials.recipientEmail, subject.email))
    await eraseCredentialEvents(
      db,
      rows.map((row) => row.id),
    )
    // What verification by ID remembers of these credentials (see verifyById) goes with them.
    for (const row of rows) forgetAfterCommit(row.id, row.revocationListId, row.suspensionListId)
    const toRevoke = rows.filter((row) => (row.policy ?? 'revoke') === 'revoke').map((row) => row.id)
    if (toRevoke.length > 0) {
      const revoked = await db
        .update(credentials)
        .set({ revokedAt: new Date(), revocationReason: 'Withdrawn at the holder’s request' })
        .where(and(inArray(credentials.id, toRevoke), isNull(credentials.revokedAt)))
        .returning({ listId: credentials.revocationListId })
      const listIds = [...new Set(revoked.map((row) => row.listId))]
      if (listIds.length > 0) await db.update(statusLists).set({ isStale: true }).where(inArray(statusLists.id, listIds))
    }
    if (rows.length > 0) {
      const ids = rows.map((row) => row.id)
      await db.delete(credentialDeliveries).where(inArray(credentialDeliveries.credentialId, ids))
      await db
        .update(credentials)
        .set({
          recipientName: '',
          recipientEmail: null,
          holderHiddenFields: [],
          document: sql`jsonb_build_object('id', ${credentials.document}->'id', 'erased', true)`,
        })
        .where(
          inArray(
            credentials.id,
            rows.map((row) => row.id),
          ),
        )
    }
    const pending = await db
      .select({ id: bulkIssuances.id, rows: bulkIssuances.rows })
      .from(bulkIssuances)
      .where(sql`${bulkIssuances.rows} @> ${JSON.stringify([{ email: subject.email }])}::jsonb`)
    for (const bulk of pending) {
      await db
        .update(bulkIssuances)
        .set({ rows: bulk.rows.filter((row) => row.email !== subject.email) })
        .where(eq(bulkIssuances.id, bulk.id))
    }
  },
})
