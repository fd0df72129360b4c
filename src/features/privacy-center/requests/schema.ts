import { index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { idColumn, timestamps } from '../../../platform/db/columns.ts'

export const REQUEST_TYPES = ['access', 'erasure', 'restriction', 'objection', 'rectification'] as const
export type RequestType = (typeof REQUEST_TYPES)[number]

export const REQUEST_STATUSES = ['received', 'identity_pending', 'in_progress', 'awaiting_approval', 'completed', 'refused', 'expired'] as const
export type RequestStatus = (typeof REQUEST_STATUSES)[number]

/** How the requester proved who they are: not yet, by the emailed link, by their login session, or by staff (another channel). */
export type IdentityVerification = 'unverified' | 'email_link' | 'session' | 'staff'

/**
 * A data-subject request (access, erasure, restriction, objection, rectification) and its deadline.
 * `orgId` null: addressed to the platform operator. The subject is who the request is about; a
 * guardian may act for them (a child), named in `guardianEmail` / `actingAccountId`.
 */
export const privacyRequests = pgTable(
  'privacy_requests',
  {
    id: idColumn('preq'),
    orgId: text(),
    type: text().$type<RequestType>().notNull(),
    status: text().$type<RequestStatus>().notNull(),
    /** Null once the subject was erased: the request itself stays as proof it was honoured. */
    subjectEmail: text(),
    subjectAccountId: text(),
    subjectName: text(),
    /** What the person wrote with the request. */
    details: text(),
    /** Someone acting for the subject (a parent or guardian for a child); null: the subject acts. */
    guardianEmail: text(),
    actingAccountId: text(),
    identityVerification: text().$type<IdentityVerification>().notNull().default('unverified'),
    identityVerifiedAt: timestamp({ withTimezone: true }),
    /** SHA-256 of the emailed confirmation token (public requests); kept after use so a second use says so. */
    tokenHash: text(),
    tokenExpiresAt: timestamp({ withTimezone: true }),
    receivedAt: timestamp({ withTimezone: true }).notNull(),
    dueAt: timestamp({ withTimezone: true }).notNull(),
    /** What was done, or why the request was refused. */
    outcome: text(),
    closedAt: timestamp({ withTimezone: true }),
    nearDueNotifiedAt: timestamp({ withTimezone: true }),
    overdueNotifiedAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (table) => [
    index('privacy_requests_org_status_idx').on(table.orgId, table.status),
    index('privacy_requests_subject_email_idx').on(table.subjectEmail),
    uniqueIndex('privacy_requests_token_hash_idx').on(table.tokenHash),
  ],
)

export type PrivacyRequest = typeof privacyRequests.$inferSelect
