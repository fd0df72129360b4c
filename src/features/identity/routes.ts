import type { TypedApp } from '../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../platform/http/auth.ts'
import { API_RATE_LIMIT } from '../../platform/http/server.tsx'
import { MeResponse } from './contract.ts'

export async function identityRoutes(app: TypedApp): Promise<void> {
  app.get(
    '/api/v1/me',
    {
      preHandler: requireSignedIn,
      config: { rateLimit: API_RATE_LIMIT },
      schema: { tags: ['Identity'], summary: 'The account the API key or login session belongs to', response: { 200: MeResponse } },
    },
    async (request) => {
      const auth = signedInAuth(request)
      return { id: auth.accountId, email: auth.email, name: auth.name, isPlatformAdmin: auth.isPlatformAdmin, apiKey: auth.apiKey }
    },
  )
}
