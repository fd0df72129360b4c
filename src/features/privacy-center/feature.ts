import type { Feature } from '../../platform/feature.ts'
import { sendBreachLettersJob } from './breach/jobs.ts'
import { breachPages } from './breach/pages.tsx'
import { breachRoutes } from './breach/routes.ts'
import { privacyCenterPrivacy } from './privacy.ts'

/**
 * What the privacy policy promises, as running code: settings per org; each sub-capability
 * (requests, export, retention, consent, breach register, policy page, access log) in its own folder.
 */
export const privacyCenter: Feature = {
  name: 'privacy-center',
  async routes(app) {
    await breachRoutes(app)
    await breachPages(app)
  },
  jobs: [sendBreachLettersJob],
  privacy: privacyCenterPrivacy,
}
