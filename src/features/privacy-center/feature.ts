import type { Feature } from '../../platform/feature.ts'
import { listAllOrgs } from '../orgs/service.ts'
import { sendBreachLettersJob } from './breach/jobs.ts'
import { breachPages } from './breach/pages.tsx'
import { breachRoutes } from './breach/routes.ts'
import { policyPages } from './policy/pages.tsx'
import { notifyPolicyChangeJob, recordPolicyVersion } from './policy/versions.ts'
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
    await policyPages(app)
  },
  jobs: [sendBreachLettersJob, notifyPolicyChangeJob],
  privacy: privacyCenterPrivacy,
  /** The code may have changed what it collects: publish a new policy version (the install's and each org's) if so. */
  onWorkerStart(platform) {
    const publishing = (async () => {
      await recordPolicyVersion(platform, null)
      for (const org of await listAllOrgs(platform.db)) await recordPolicyVersion(platform, org)
    })().catch((error: unknown) => platform.log.error({ err: error }, 'publishing the privacy policy versions failed'))
    return {
      async stop() {
        await publishing
      },
    }
  },
}
