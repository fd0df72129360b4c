import { eq, or } from 'drizzle-orm'
import { definePrivacyProvider } from '../../../platform/privacy/registry.ts'
import { consents } from './schema.ts'

const ofSubject = (subject: { accountId: string | null; email: string }) =>
  or(eq(consents.email, subject.email.toLowerCase()), subject.accountId ? eq(consents.accountId, subject.accountId) : undefined)

export const consentPrivacy = definePrivacyProvider({
  name: 'consent',
  stores: [
    {
      table: 'consents',
      columns: ['email', 'account_id'],
      purpose: 'Proving what the person agreed to (marketing email) or stopped (emails about credentials): when, from which form, to which wording',
      legalBasis: 'legal_obligation',
      retention: 'Kept after a withdrawal as proof of what was agreed, until the person is erased',
    },
  ],
  notPersonal: [
    {
      table: 'consents',
      columns: ['id', 'org_id', 'purpose', 'wording_version', 'source', 'withdrawn_via'],
      reason: 'A random ID, which organisation and purpose a consent is for, and the names of the wording and form',
    },
  ],
  retainedAfterErasure: [],
  async export(db, subject) {
    const rows = await db.select().from(consents).where(ofSubject(subject)).orderBy(consents.createdAt)
    return {
      consents: rows.map(({ email, orgId, purpose, grantedAt, wordingVersion, source, withdrawnAt, withdrawnVia }) => ({
        email,
        orgId,
        purpose,
        grantedAt,
        wordingVersion,
        source,
        withdrawnAt,
        withdrawnVia,
      })),
    }
  },
  async erase(db, subject) {
    await db.delete(consents).where(ofSubject(subject))
  },
})
