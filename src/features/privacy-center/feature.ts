import type { Feature } from '../../platform/feature.ts'
import { privacyCenterPrivacy } from './privacy.ts'
import { startPrivacyRequestSweeper } from './requests/reminders.ts'
import { privacyRequestRoutes } from './requests/routes.ts'

/**
 * What the privacy policy promises, as running code: settings per org; each sub-capability
 * (requests, export, retention, consent, breach register, policy page, access log) in its own folder.
 */
export const privacyCenter: Feature = {
  name: 'privacy-center',
  async routes(app) {
    await app.register(privacyRequestRoutes)
  },
  privacy: privacyCenterPrivacy,
  onWorkerStart: startPrivacyRequestSweeper,
}
