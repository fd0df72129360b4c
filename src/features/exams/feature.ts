import type { Feature } from '../../platform/feature.ts'
import { catalogRoutes } from './catalog/pages.tsx'
import { releasePortal } from './portal/interactive.ts'
import { portalRoutes } from './portal/pages.tsx'
import { portalRunRoutes } from './portal/run-pages.tsx'
import { portalRunJob, startPortalRunSweeper } from './portal/runs.ts'
import { examsPrivacy } from './privacy.ts'
import { registrationRoutes } from './registrations/pages.tsx'
import { selfRegistrationRoutes } from './registrations/self-registration-pages.tsx'
import { examApiRoutes } from './routes.ts'
import { sessionRoutes } from './sessions/pages.tsx'

export const exams: Feature = {
  name: 'exams',
  navigation: [
    { group: 'exams', path: '/exam-sessions', label: 'Exam sessions', minimumRole: 'staff' },
    { group: 'exams', path: '/exam-sessions/calendar', label: 'Calendar', minimumRole: 'staff' },
    { group: 'exams', path: '/exams', label: 'Exams', minimumRole: 'staff' },
    { group: 'exams', path: '/test-centres', label: 'Testing centres', minimumRole: 'staff' },
    { group: 'exams', path: '/proctors', label: 'Proctors', minimumRole: 'staff' },
    { group: 'exams', path: '/portal', label: 'Testing portal', minimumRole: 'staff' },
  ],
  async routes(app) {
    await app.register(catalogRoutes)
    await app.register(sessionRoutes)
    await app.register(registrationRoutes)
    await app.register(portalRoutes)
    await app.register(selfRegistrationRoutes)
    await app.register(portalRunRoutes)
    await app.register(examApiRoutes)
  },
  privacy: examsPrivacy,
  jobs: [portalRunJob as never],
  onWorkerStart: startPortalRunSweeper,
  onSignOut: releasePortal,
  encryptedColumns: [{ table: 'portal_runs', idColumn: 'id', column: 'token_encrypted' }],
}
