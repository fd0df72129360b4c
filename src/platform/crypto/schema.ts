import { boolean, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { createdAt, idColumn } from '../db/columns.ts'

/** Data keys for envelope encryption, each stored wrapped (encrypted) by the master key. */
export const dataKeys = pgTable('data_keys', {
  id: idColumn('key'),
  wrappedKey: text().notNull(),
  isActive: boolean().notNull().default(false),
  createdAt: createdAt(),
  retiredAt: timestamp({ withTimezone: true }),
})
