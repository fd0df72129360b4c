import { definePrivacyProvider } from '../../../platform/privacy/registry.ts'

/** The retention engine keeps only counts per rule: nothing about anyone. */
export const retentionPrivacy = definePrivacyProvider({
  name: 'retention',
  stores: [],
  notPersonal: [{ table: 'retention_runs', columns: ['id', 'trigger', 'counts'], reason: 'When retention ran and how many rows each rule removed' }],
  retainedAfterErasure: [],
  async export() {
    return {}
  },
  async erase() {},
})
