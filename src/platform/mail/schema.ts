import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { createdAt, idColumn } from '../db/columns.ts'

/** An attachment named, not stored: the source that registered `source` renders it from `ref` at send time. */
export interface MailAttachmentRef {
  source: string
  ref: string
}

/** `held`: not sent, because the recipient restricted processing (see MailInput.isEssential). */
export type MailStatus = 'outbox' | 'queued' | 'sent' | 'failed' | 'held'

/**
 * Every message Laurel sends. Without SMTP this table is the outbox people read in the app. The
 * body holds links with one-time tokens, so it is stored only encrypted by the keyring.
 */
export const mailMessages = pgTable(
  'mail_messages',
  {
    id: idColumn('mail'),
    orgId: text(),
    toAddress: text().notNull(),
    subject: text().notNull(),
    bodyEncrypted: text().notNull(),
    htmlEncrypted: text(),
    attachments: jsonb().$type<MailAttachmentRef[]>().notNull().default([]),
    /** Extra headers, e.g. List-Unsubscribe on bulk and marketing mail (its link names the recipient). */
    headers: jsonb().$type<Record<string, string>>().notNull().default({}),
    status: text().$type<MailStatus>().notNull(),
    /** SMTP attempts so far; the last error is kept in `error`. */
    attempts: integer().notNull().default(0),
    error: text(),
    createdAt: createdAt(),
    sentAt: timestamp({ withTimezone: true }),
  },
  (table) => [index('mail_messages_to_idx').on(table.toAddress, table.createdAt)],
)
