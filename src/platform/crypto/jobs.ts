import { Type } from 'typebox'
import { defineJob } from '../jobs/jobs.ts'
import type { Platform } from '../platform.ts'

/** Makes a new data key, re-encrypts every declared secret column under it, then retires the old keys. */
export const rotateKeysJob = defineJob({
  name: 'crypto.rotate-keys',
  title: 'Rotate encryption keys',
  payload: Type.Object({}),
  retryLimit: 3,
  async run({ services, progress }: { services: Platform; progress: (done: number, total: number, message?: string) => Promise<void> }) {
    const { keyring, encryptedColumns, audit, db } = services
    const keyId = await keyring.createActiveKey()
    const changed = await keyring.reencrypt(encryptedColumns, (done, total) => progress(done, total, `Re-encrypting secrets under ${keyId}`))
    await keyring.retireKeysOtherThanActive()
    await audit.recordIn(db, { action: 'crypto.keys_rotated', target: keyId, data: { reencrypted: changed } })
  },
})
