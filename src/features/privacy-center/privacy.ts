import { eq } from 'drizzle-orm'
import { definePrivacyProvider } from '../../platform/privacy/registry.ts'
import { privacySettings } from './schema.ts'

export const privacyCenterPrivacy = definePrivacyProvider({
  name: 'privacy-center',
  stores: [
    {
      table: 'privacy_settings',
      columns: ['contact_email', 'controller_name'],
      purpose: 'Naming who answers privacy matters for the organisation (its privacy contact, entered by its staff)',
      legalBasis: 'legal_obligation',
      retention: 'Until the organisation changes it or is deleted',
    },
  ],
  notPersonal: [
    {
      table: 'privacy_settings',
      columns: ['org_id', 'holidays', 'sub_processors', 'international_transfers', 'retention_days'],
      reason: 'Organisation settings',
    },
  ],
  retainedAfterErasure: [],
  async export(db, subject) {
    const rows = await db.select({ orgId: privacySettings.orgId }).from(privacySettings).where(eq(privacySettings.contactEmail, subject.email))
    return { privacyContactOf: rows.map((row) => row.orgId) }
  },
  async erase(db, subject) {
    await db.update(privacySettings).set({ contactEmail: null }).where(eq(privacySettings.contactEmail, subject.email))
  },
})
