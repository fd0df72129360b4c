import type { Feature } from '../../platform/feature.ts'
import { achievementPages } from './achievement-pages.tsx'
import { credentialPages } from './credential-pages.tsx'
import { CERTIFICATE_ATTACHMENT, certificateAttachment } from './delivery.ts'
import { deliveryPages } from './delivery-pages.tsx'
import { issueBulkJob } from './jobs.ts'
import { credentialsPrivacy } from './privacy.ts'
import { publicPages } from './public-pages.tsx'
import { credentialRoutes } from './routes.ts'

export const credentials: Feature = {
  name: 'credentials',
  async routes(app) {
    await app.register(achievementPages)
    await app.register(credentialPages)
    await app.register(deliveryPages)
    await app.register(publicPages)
    await app.register(credentialRoutes)
  },
  jobs: [issueBulkJob as never],
  privacy: credentialsPrivacy,
  mailAttachments: { [CERTIFICATE_ATTACHMENT]: certificateAttachment },
  encryptedColumns: [{ table: 'issuer_keys', idColumn: 'id', column: 'secret_key_encrypted' }],
}
