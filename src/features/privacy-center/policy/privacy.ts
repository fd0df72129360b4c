import { definePrivacyProvider } from '../../../platform/privacy/registry.ts'

export const policyPrivacy = definePrivacyProvider({
  name: 'privacy-center.policy',
  stores: [
    {
      table: 'policy_versions',
      columns: ['content'],
      purpose: 'Keeping each published version of the privacy policy as published, with the privacy contact it named',
      legalBasis: 'legal_obligation',
      retention: 'Kept for good: proof of what people were told and when',
    },
  ],
  notPersonal: [
    { table: 'policy_versions', columns: ['id', 'policy', 'content_hash', 'notified_through_account_id'], reason: 'Identifiers and a hash of the content' },
  ],
  retainedAfterErasure: [
    {
      table: 'policy_versions',
      column: 'content',
      reason: 'A published policy stays as it was published (accountability): it names the organisation’s privacy contact, not people it holds data about',
    },
  ],
  async export() {
    return {}
  },
  async erase() {},
})
