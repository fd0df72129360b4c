import type { Feature } from '../../platform/feature.ts'
import type { Platform } from '../../platform/platform.ts'
import { listAllOrgs } from '../orgs/service.ts'
import { accessLogPages } from './access-log/pages.tsx'
import { accessLogRoutes } from './access-log/routes.ts'
import { sendBreachLettersJob } from './breach/jobs.ts'
import { breachPages } from './breach/pages.tsx'
import { breachRoutes } from './breach/routes.ts'
import { consentPages } from './consent/pages.tsx'
import { consentRoutes } from './consent/routes.ts'
import { buildDataExportJob } from './export/jobs.ts'
import { exportPages } from './export/pages.tsx'
import { exportRoutes } from './export/routes.ts'
import { policyPages } from './policy/pages.tsx'
import { notifyPolicyChangeJob, recordPolicyVersion } from './policy/versions.ts'
import { privacyCenterPrivacy } from './privacy.ts'
import { startPrivacyRequestSweeper } from './requests/reminders.ts'
import { privacyRequestRoutes } from './requests/routes.ts'
import { retentionCommand } from './retention/commands.ts'
import { retentionPages } from './retention/pages.tsx'
import { retentionRoutes } from './retention/routes.ts'
import { startRetentionSchedule } from './retention/schedule.ts'

/** The code may have changed what it collects: publishes a new policy version (the install's and each org's) if so. */
async function publishPolicyVersions(platform: Platform): Promise<void> {
  await recordPolicyVersion(platform, null)
  for (const org of await listAllOrgs(platform.db)) await recordPolicyVersion(platform, org)
}

/**
 * What the privacy policy promises, as running code: settings per org; each sub-capability
 * (requests, export, retention, consent, breach register, policy page, access log) in its own folder.
 */
export const privacyCenter: Feature = {
  name: 'privacy-center',
  navigation: [{ group: 'organisation', path: '/privacy/requests', label: 'Privacy requests', minimumRole: 'staff' }],
  async routes(app) {
    await app.register(exportPages)
    await app.register(exportRoutes)
    await app.register(accessLogPages)
    await app.register(accessLogRoutes)
    await breachRoutes(app)
    await breachPages(app)
    await policyPages(app)
    await app.register(consentPages)
    await app.register(consentRoutes)
    await app.register(privacyRequestRoutes)
    await app.register(retentionPages)
    await app.register(retentionRoutes)
  },
  jobs: [buildDataExportJob, sendBreachLettersJob, notifyPolicyChangeJob],
  privacy: privacyCenterPrivacy,
  commands: [retentionCommand],
  encryptedColumns: [{ table: 'data_exports', idColumn: 'id', column: 'zip_encrypted', batchSize: 1 }],
  onWorkerStart(platform) {
    const sweepers = [startPrivacyRequestSweeper(platform), startRetentionSchedule(platform)]
    const publishing = publishPolicyVersions(platform).catch((error: unknown) =>
      platform.log.error({ err: error }, 'publishing the privacy policy versions failed'),
    )
    return {
      async stop() {
        await Promise.all([...sweepers.map((sweeper) => sweeper.stop()), publishing])
      },
    }
  },
}
