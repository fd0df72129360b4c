import type { Feature } from '../../platform/feature.ts'
import { auditPages } from './audit/pages.tsx'
import { dashboardPages } from './dashboard/pages.tsx'
import { orgPages } from './pages.tsx'
import { orgsPrivacy } from './privacy.ts'
import { orgRoutes } from './routes.ts'
import { installOrgScope } from './scope.ts'

export const orgs: Feature = {
  name: 'orgs',
  setup: installOrgScope,
  async routes(app) {
    await app.register(orgPages)
    await app.register(auditPages)
    await app.register(dashboardPages)
    await app.register(orgRoutes)
  },
  privacy: orgsPrivacy,
}
