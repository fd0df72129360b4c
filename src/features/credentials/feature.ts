import type { Feature } from '../../platform/feature.ts'
import { achievementPages } from './achievement-pages.tsx'
import { flushCredentialEvents } from './analytics/analytics.ts'
import { analyticsPages } from './analytics/pages.tsx'
import { credentialPages } from './credential-pages.tsx'
import { CERTIFICATE_ATTACHMENT, certificateAttachment, recordDeliveredEmail } from './delivery/delivery.ts'
import { deliveryPages } from './delivery/pages.tsx'
import { issueBulkJob } from './jobs.ts'
import { credentialListPages } from './list/pages.tsx'
import { certificatePages } from './pdf/pages.tsx'
import { credentialsPrivacy } from './privacy.ts'
import { publicPages } from './public/pages.tsx'
import { sharingRoutes } from './public/sharing.tsx'
import { credentialRoutes } from './routes.ts'

export const credentials: Feature = {
  name: 'credentials',
  navigation: [
    { group: 'credentials', path: '/achievements', label: 'Achievements', minimumRole: 'staff' },
    { group: 'credentials', path: '/credentials', label: 'Credentials', minimumRole: 'staff' },
    { group: 'credentials', path: '/analytics', label: 'Analytics', minimumRole: 'staff' },
  ],
  setup(app) {
    app.addHook('onClose', () => flushCredentialEvents(app.platform))
  },
  async routes(app) {
    await app.register(achievementPages)
    await app.register(credentialPages)
    await app.register(credentialListPages)
    await app.register(deliveryPages)
    await app.register(publicPages)
    await app.register(certificatePages)
    await app.register(credentialRoutes)
    await app.register(analyticsPages)
    await app.register(sharingRoutes)
  },
  jobs: [issueBulkJob as never],
  privacy: credentialsPrivacy,
  mailAttachments: { [CERTIFICATE_ATTACHMENT]: certificateAttachment },
  onMailSent: recordDeliveredEmail,
  encryptedColumns: [{ table: 'issuer_keys', idColumn: 'id', column: 'secret_key_encrypted' }],
}
