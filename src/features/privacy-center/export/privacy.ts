import { desc, eq, or } from 'drizzle-orm'
import { definePrivacyProvider } from '../../../platform/privacy/registry.ts'
import { dataExports } from './schema.ts'
import { deleteExpiredDataExports, EXPORT_LIFETIME_DAYS } from './service.ts'

export const dataExportsPrivacy = definePrivacyProvider({
  name: 'data-exports',
  stores: [
    {
      table: 'data_exports',
      columns: ['account_id', 'email', 'zip_encrypted'],
      purpose: 'Handing people a copy of all their data when they ask (“download all my data”); the file is stored encrypted',
      legalBasis: 'legal_obligation',
      retention: '7 days from the request, then deleted',
      rules: [
        {
          key: 'data-exports.expired',
          action: 'delete',
          what: 'data exports (the ZIP files people asked for)',
          from: 'the request',
          period: { days: EXPORT_LIFETIME_DAYS },
          // The expiry is stored with each export when it is requested, so the rule needs no cutoff of its own.
          apply: (db, { now, dryRun }) => deleteExpiredDataExports(db, now, { dryRun }),
        },
      ],
    },
  ],
  notPersonal: [{ table: 'data_exports', columns: ['id', 'request_id', 'job_id', 'status'], reason: 'Identifiers and the state of the export' }],
  retainedAfterErasure: [],
  async export(db, subject) {
    const rows = await db
      .select({
        id: dataExports.id,
        email: dataExports.email,
        requestId: dataExports.requestId,
        status: dataExports.status,
        sizeBytes: dataExports.sizeBytes,
        createdAt: dataExports.createdAt,
        completedAt: dataExports.completedAt,
        expiresAt: dataExports.expiresAt,
      })
      .from(dataExports)
      .where(or(subject.accountId ? eq(dataExports.accountId, subject.accountId) : undefined, eq(dataExports.email, subject.email)))
      .orderBy(desc(dataExports.createdAt))
    return { exports: rows }
  },
  async erase(db, subject) {
    await db.delete(dataExports).where(or(subject.accountId ? eq(dataExports.accountId, subject.accountId) : undefined, eq(dataExports.email, subject.email)))
  },
})
