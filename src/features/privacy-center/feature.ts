import type { Feature } from '../../platform/feature.ts'
import { privacyCenterPrivacy } from './privacy.ts'
import { retentionCommand } from './retention/commands.ts'
import { retentionPages } from './retention/pages.tsx'
import { retentionRoutes } from './retention/routes.ts'
import { startRetentionSchedule } from './retention/schedule.ts'

/**
 * What the privacy policy promises, as running code: settings per org; each sub-capability
 * (requests, export, retention, consent, breach register, policy page, access log) in its own folder.
 */
export const privacyCenter: Feature = {
  name: 'privacy-center',
  async routes(app) {
    await app.register(retentionPages)
    await app.register(retentionRoutes)
  },
  privacy: privacyCenterPrivacy,
  commands: [retentionCommand],
  onWorkerStart: startRetentionSchedule,
}
