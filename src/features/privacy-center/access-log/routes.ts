import type { TypedApp } from '../../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../../platform/http/auth.ts'
import { API_RATE_LIMIT } from '../../../platform/http/server.tsx'
import { AccessLogQuery, AccessLogResponse } from './contract.ts'
import { listAccessLog } from './service.ts'

export async function accessLogRoutes(app: TypedApp): Promise<void> {
  const { platform } = app
  app.get(
    '/api/v1/me/access-log',
    {
      preHandler: requireSignedIn,
      config: { rateLimit: API_RATE_LIMIT },
      schema: {
        tags: ['Privacy'],
        summary: 'My access log: audit entries about my own account, newest first',
        querystring: AccessLogQuery,
        response: { 200: AccessLogResponse },
      },
    },
    async (request) => {
      const { kind, before } = request.query
      const page = await listAccessLog(platform, signedInAuth(request).accountId, { kind: kind || undefined, before })
      return { ...page, items: page.items.map((item) => ({ ...item, at: item.at.toISOString() })) }
    },
  )
}
