import type { Feature } from '../../platform/feature.ts'
import { installAuthentication } from './authentication.ts'
import { createAdminCommand } from './commands.ts'
import { emailPages } from './email-pages.tsx'
import { identityPages } from './pages.tsx'
import { identityPrivacy } from './privacy.ts'
import { identityRoutes } from './routes.ts'

export const identity: Feature = {
  name: 'identity',
  setup: installAuthentication,
  async routes(app) {
    await app.register(identityPages)
    await app.register(emailPages)
    await app.register(identityRoutes)
  },
  privacy: identityPrivacy,
  encryptedColumns: [{ table: 'accounts', idColumn: 'id', column: 'totp_secret' }],
  commands: [createAdminCommand],
}
