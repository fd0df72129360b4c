import { definePrivacyProvider } from '../privacy/registry.ts'

/** The keyring's data keys: key material, nothing about anyone. */
export const keyringPrivacy = definePrivacyProvider({
  name: 'keyring',
  stores: [],
  notPersonal: [{ table: 'data_keys', columns: ['id', 'wrapped_key'], reason: 'Data keys of the envelope encryption, wrapped by the master key' }],
  retainedAfterErasure: [],
  async export() {
    return {}
  },
  async erase() {},
})
