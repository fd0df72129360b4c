import type { Feature } from '../../platform/feature.ts'
import { auditPages } from './audit/pages.tsx'
import { dashboardPages } from './dashboard/pages.tsx'
import { orgPages } from './pages.tsx'
import { orgsPrivacy } from './privacy.ts'
import { orgRoutes } from './routes.ts'
import { installOrgScope } from './scope.ts'

export const orgs: Feature = {
  name: 'orgs',
  navigation: [
    { group: 'people', path: '/members', label: 'Members', minimumRole: 'staff' },
    { group: 'organisation', path: '/settings', label: 'Settings', minimumRole: 'admin' },
    { group: 'organisation', path: '/audit', label: 'Audit log', minimumRole: 'admin' },
  ],
  setup: installOrgScope,
  async routes(app) {
    await app.register(orgPages)
    await app.register(auditPages)
    await app.register(dashboardPages)
    await app.register(orgRoutes)
  },
  privacy: orgsPrivacy,
}
