import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { createdAt, idColumn } from '../db/columns.ts'

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
    status: text().$type<'outbox' | 'queued' | 'sent' | 'failed'>().notNull(),
    error: text(),
    createdAt: createdAt(),
    sentAt: timestamp({ withTimezone: true }),
  },
  (table) => [index('mail_messages_to_idx').on(table.toAddress, table.createdAt)],
)
