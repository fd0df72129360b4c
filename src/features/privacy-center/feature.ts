import type { Feature } from '../../platform/feature.ts'
import { accessLogPages } from './access-log/pages.tsx'
import { accessLogRoutes } from './access-log/routes.ts'
import { buildDataExportJob } from './export/jobs.ts'
import { exportPages } from './export/pages.tsx'
import { exportRoutes } from './export/routes.ts'
import { startExpiredExportSweeper } from './export/service.ts'
import { privacyCenterPrivacy } from './privacy.ts'

/**
 * What the privacy policy promises, as running code: settings per org; each sub-capability
 * (requests, export, retention, consent, breach register, policy page, access log) in its own folder.
 */
export const privacyCenter: Feature = {
  name: 'privacy-center',
  async routes(app) {
    await app.register(exportPages)
    await app.register(exportRoutes)
    await app.register(accessLogPages)
    await app.register(accessLogRoutes)
  },
  jobs: [buildDataExportJob],
  privacy: privacyCenterPrivacy,
  encryptedColumns: [{ table: 'data_exports', idColumn: 'id', column: 'zip_encrypted', batchSize: 1 }],
  onWorkerStart: startExpiredExportSweeper,
}
