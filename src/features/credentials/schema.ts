import { sql } from 'drizzle-orm'
import { boolean, customType, date, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { createdAt, idColumn, timestamps } from '../../platform/db/columns.ts'
import type { Locale } from '../../platform/i18n/locales.ts'

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' })

export interface Alignment {
  targetName: string
  targetUrl: string
  targetFramework?: string
  targetCode?: string
}

/** What a credential attests (Open Badges 3.0 "Achievement"): the template credentials are issued from. */
export const achievements = pgTable(
  'achievements',
  {
    id: idColumn('ach'),
    orgId: text().notNull(),
    name: text().notNull(),
    description: text().notNull(),
    /** Markdown; rendered sanitised. */
    criteria: text().notNull(),
    imageData: bytea(),
    imageType: text().$type<'image/png' | 'image/svg+xml'>(),
    tags: jsonb().$type<string[]>().notNull().default([]),
    alignments: jsonb().$type<Alignment[]>().notNull().default([]),
    /** Months a credential stays valid; null: no expiry. */
    validityMonths: integer(),
    archivedAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (table) => [index('achievements_org_idx').on(table.orgId, table.name)],
)

/**
 * An org's signing keys, one active per key type (Ed25519 for the eddsa suites, P-256 for
 * ecdsa-rdfc-2019); retired keys stay listed in the DID document so old credentials verify.
 */
export const issuerKeys = pgTable(
  'issuer_keys',
  {
    id: idColumn('ikey'),
    orgId: text().notNull(),
    keyType: text().$type<'Ed25519' | 'P-256'>().notNull().default('Ed25519'),
    publicKeyMultibase: text().notNull(),
    /** Keyring ciphertext of the secret key multibase. */
    secretKeyEncrypted: text().notNull(),
    createdAt: createdAt(),
    retiredAt: timestamp({ withTimezone: true }),
  },
  (table) => [index('issuer_keys_org_idx').on(table.orgId, table.createdAt)],
)

/** How an org signs: its DID method (null: did:web when the public URL is https) and the suite it signs with unless asked otherwise. */
export const issuerSettings = pgTable('issuer_settings', {
  orgId: text().primaryKey(),
  didMethod: text().$type<'web' | 'key'>(),
  cryptosuite: text().$type<'eddsa-rdfc-2022' | 'eddsa-jcs-2022' | 'ecdsa-rdfc-2019'>().notNull().default('eddsa-rdfc-2022'),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
})

export type StatusPurpose = 'revocation' | 'suspension'

/** A BitstringStatusListCredential; its bits are derived from the credentials that point into it. */
export const statusLists = pgTable(
  'status_lists',
  {
    id: idColumn('sl'),
    orgId: text().notNull(),
    purpose: text().$type<StatusPurpose>().notNull(),
    size: integer().notNull(),
    /** The signed status-list credential as last published; re-signed whenever a bit changes. */
    document: jsonb().$type<Record<string, unknown>>(),
    /** Bits changed without re-signing (erasure has no signer at hand): re-signed on the next read. */
    isStale: boolean().notNull().default(false),
    ...timestamps,
  },
  (table) => [index('status_lists_org_idx').on(table.orgId, table.purpose)],
)

export const credentials = pgTable(
  'credentials',
  {
    id: idColumn('cred'),
    orgId: text().notNull(),
    /** Null for credentials signed through the VC-API from a caller's own document. */
    achievementId: text(),
    recipientEmail: text(),
    recipientName: text().notNull(),
    validFrom: timestamp({ withTimezone: true }).notNull(),
    validUntil: timestamp({ withTimezone: true }),
    /** The signed OpenBadgeCredential exactly as issued. */
    document: jsonb().$type<Record<string, unknown>>().notNull(),
    revocationListId: text().notNull(),
    revocationIndex: integer().notNull(),
    suspensionListId: text().notNull(),
    suspensionIndex: integer().notNull(),
    revokedAt: timestamp({ withTimezone: true }),
    revocationReason: text(),
    suspendedAt: timestamp({ withTimezone: true }),
    /** Same key, same credential: re-sent API calls and re-uploaded CSV files issue nothing twice. */
    idempotencyKey: text(),
    bulkIssuanceId: text(),
    /** The holder allows search engines to index the public page (noindex otherwise). */
    isIndexable: boolean().notNull().default(false),
    issuedByAccountId: text(),
    /** The credential this one corrects; that one is revoked as "superseded". */
    replacesCredentialId: text(),
    /** Fields the holder chose to hide on the public page, on top of what the org hides. */
    holderHiddenFields: jsonb().$type<DisclosableField[]>().notNull().default([]),
    /** The holder was erased: `document` is then the verification record kept (see privacy.ts), no longer the signed file. */
    erasedAt: timestamp({ withTimezone: true }),
    /** The language of its public page, PDF certificate and email (platform/i18n); the org's default unless chosen at issue. */
    locale: text().$type<Locale>().notNull().default('en'),
    createdAt: createdAt(),
  },
  (table) => [
    index('credentials_org_created_idx').on(table.orgId, table.createdAt),
    index('credentials_replaces_idx').on(table.replacesCredentialId).where(sql`replaces_credential_id is not null`),
    index('credentials_org_email_idx').on(table.orgId, table.recipientEmail),
    // "My credentials" and privacy requests look a person up across orgs.
    index('credentials_email_idx').on(table.recipientEmail),
    uniqueIndex('credentials_idempotency_idx').on(table.orgId, table.idempotencyKey).where(sql`idempotency_key is not null`),
    uniqueIndex('credentials_revocation_slot_idx').on(table.revocationListId, table.revocationIndex),
    uniqueIndex('credentials_suspension_slot_idx').on(table.suspensionListId, table.suspensionIndex),
  ],
)

export interface BulkRow {
  line: number
  email: string
  name: string
  achievementId: string
  validFrom: string
  idempotencyKey: string
}

/** A CSV upload between preview and issuance; its rows are deleted once issued. */
export const bulkIssuances = pgTable('bulk_issuances', {
  id: idColumn('bulk'),
  orgId: text().notNull(),
  fileName: text().notNull(),
  fileSha256: text().notNull(),
  state: text().$type<'previewed' | 'issuing' | 'completed'>().notNull().default('previewed'),
  rows: jsonb().$type<BulkRow[]>().notNull().default([]),
  totalRows: integer().notNull(),
  validRows: integer().notNull(),
  alreadyIssued: integer().notNull().default(0),
  issued: integer().notNull().default(0),
  jobId: text(),
  createdByAccountId: text().notNull(),
  ...timestamps,
})

/**
 * What erasing a holder does to their credentials. Both remove every personal detail but a minimal
 * verification record; 'keep_record' keeps the credential valid (its page and verification by ID say
 * so, the holder's own copies still verify), 'revoke' withdraws it as at the holder's request.
 */
export type ErasurePolicy = 'keep_record' | 'revoke'

/** What a public credential page may show besides the achievement and issuer; the signed file always holds everything. */
export const DISCLOSABLE_FIELDS = ['holderName', 'issueDate', 'expiry', 'result', 'evidence'] as const
export type DisclosableField = (typeof DISCLOSABLE_FIELDS)[number]

/** Per-org choices about credentials. */
export const credentialSettings = pgTable('credential_settings', {
  orgId: text().primaryKey(),
  erasurePolicy: text().$type<ErasurePolicy>().notNull().default('keep_record'),
  /** Fields public credential pages show; holders may hide more of them. */
  publicFields: jsonb()
    .$type<DisclosableField[]>()
    .notNull()
    .default([...DISCLOSABLE_FIELDS]),
  /** The email sent to each recipient; null: the built-in default (see delivery-template.ts). */
  emailSubject: text(),
  emailBody: text(),
  /** Attach the PDF certificate to that email. */
  isPdfAttached: boolean().notNull().default(false),
  ...timestamps,
})

// PDF certificates (area: pdf)

export type CertificateLayout = 'classic' | 'modern' | 'minimal'
export type PaperSize = 'a4' | 'letter'

export interface CustomField {
  label: string
  value: string
}

/** How an achievement's PDF certificate looks; an achievement without a row uses the defaults. */
export const certificateDesigns = pgTable('certificate_designs', {
  achievementId: text().primaryKey(),
  orgId: text().notNull(),
  layout: text().$type<CertificateLayout>().notNull(),
  primaryColor: text().notNull(),
  accentColor: text().notNull(),
  paperSize: text().$type<PaperSize>().notNull(),
  logoData: bytea(),
  signatureData: bytea(),
  signerName: text().notNull().default(''),
  signerTitle: text().notNull().default(''),
  customFields: jsonb().$type<CustomField[]>().notNull().default([]),
  ...timestamps,
})

// analytics: engagement events and the verification log

export type CredentialEventKind = 'delivered' | 'link_opened' | 'page_viewed' | 'pdf_downloaded' | 'json_downloaded' | 'linkedin_clicked' | 'verified'

/**
 * One thing that happened to a credential: delivered, opened, viewed, downloaded, verified. Who did it
 * is never stored (no IP, no user agent, no account); only what, when and through which channel.
 */
export const credentialEvents = pgTable(
  'credential_events',
  {
    id: idColumn('cev'),
    orgId: text().notNull(),
    credentialId: text().notNull(),
    achievementId: text(),
    kind: text().$type<CredentialEventKind>().notNull(),
    /** How it happened: for verifications page, api, verify-page or vc-api; else where the visitor came from (email, linkedin…). */
    channel: text().notNull(),
    /** For verifications: the verdict the verifier saw (valid, revoked…). */
    outcome: text(),
    occurredAt: timestamp({ withTimezone: true }).notNull(),
  },
  (table) => [
    index('credential_events_org_idx').on(table.orgId, table.occurredAt),
    index('credential_events_achievement_idx').on(table.achievementId, table.occurredAt),
    index('credential_events_credential_idx').on(table.credentialId, table.occurredAt),
  ],
)

/**
 * Credential events older than 13 months, folded by the retention rule into counts per credential,
 * kind and channel for each calendar month (UTC); the analytics totals add them to the raw events.
 */
export const credentialEventMonths = pgTable(
  'credential_event_months',
  {
    orgId: text().notNull(),
    credentialId: text().notNull(),
    achievementId: text(),
    kind: text().$type<CredentialEventKind>().notNull(),
    channel: text().notNull(),
    /** The first day of the month. */
    month: date({ mode: 'string' }).notNull(),
    total: integer().notNull(),
  },
  (table) => [
    uniqueIndex('credential_event_months_key_idx').on(table.credentialId, table.kind, table.channel, table.month),
    index('credential_event_months_org_idx').on(table.orgId, table.month),
  ],
)

// Delivery: the email each recipient gets when a credential is issued.

/**
 * The email that delivered a credential. Its state, attempts, last error and sent time are the mail
 * message's own (mail_messages); a resend points the record at a new message.
 */
export const credentialDeliveries = pgTable(
  'credential_deliveries',
  {
    credentialId: text().primaryKey(),
    orgId: text().notNull(),
    mailMessageId: text().notNull(),
    /** How many times staff sent it again. */
    resends: integer().notNull().default(0),
    ...timestamps,
  },
  (table) => [index('credential_deliveries_org_idx').on(table.orgId), index('credential_deliveries_message_idx').on(table.mailMessageId)],
)
