import type { Feature } from '../../platform/feature.ts'
import { consentPages } from './consent/pages.tsx'
import { consentRoutes } from './consent/routes.ts'
import { privacyCenterPrivacy } from './privacy.ts'

/**
 * What the privacy policy promises, as running code: settings per org; each sub-capability
 * (requests, export, retention, consent, breach register, policy page, access log) in its own folder.
 */
export const privacyCenter: Feature = {
  name: 'privacy-center',
  async routes(app) {
    await app.register(consentPages)
    await app.register(consentRoutes)
  },
  privacy: privacyCenterPrivacy,
}
