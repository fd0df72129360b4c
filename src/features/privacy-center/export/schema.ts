import { customType, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { idColumn } from '../../../platform/db/columns.ts'

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' })

export type DataExportStatus = 'building' | 'ready'

/**
 * "Download all my data": one ZIP per request, built by a job and kept here (not on a disk) so every
 * web process can serve it; the file is encrypted by the keyring and deleted after `expiresAt`.
 */
export const dataExports = pgTable(
  'data_exports',
  {
    id: idColumn('dexp'),
    /** Who may download it; null when staff export a person without an account (their request names them by email). */
    accountId: text(),
    /** The subject's address the export was made for. */
    email: text().notNull(),
    /** The privacy request it answers, when staff started it from the request queue. */
    requestId: text(),
    jobId: text(),
    status: text().$type<DataExportStatus>().notNull().default('building'),
    /** The ZIP, as `Keyring.encryptBytes` seals it. */
    zipEncrypted: bytea(),
    sizeBytes: integer(),
    fileCount: integer(),
    createdAt: timestamp({ withTimezone: true }).notNull(),
    completedAt: timestamp({ withTimezone: true }),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (table) => [index('data_exports_account_idx').on(table.accountId, table.createdAt), index('data_exports_expires_idx').on(table.expiresAt)],
)
