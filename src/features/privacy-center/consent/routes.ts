import { Type } from 'typebox'
import type { TypedApp } from '../../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../../platform/http/auth.ts'
import { API_RATE_LIMIT } from '../../../platform/http/server.tsx'
import { consentViewsOf, withdrawOwnConsent } from './pages.tsx'
import { grantConsent } from './service.ts'

const tags = ['Privacy']
const config = { rateLimit: API_RATE_LIMIT }
const Purpose = Type.Union([Type.Literal('marketing'), Type.Literal('credential_emails')])
const Instant = Type.Unsafe<Date | string>(Type.String({ format: 'date-time' }))
const OrgId = Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()], {
  description: 'The organisation the consent is given to; null for Laurel itself',
})

const ConsentView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  orgId: Type.Union([Type.String(), Type.Null()]),
  orgName: Type.String(),
  purpose: Purpose,
  grantedAt: Type.Union([Instant, Type.Null()]),
  wordingVersion: Type.Union([Type.String(), Type.Null()]),
  source: Type.String(),
  withdrawnAt: Type.Union([Instant, Type.Null()]),
  inForce: Type.Boolean({ description: 'The newest record of its organisation and purpose, and given' }),
})
const GrantBody = Type.Object({ purpose: Type.Literal('marketing'), orgId: Type.Optional(OrgId) })
const WithdrawQuery = Type.Object({
  purpose: Purpose,
  orgId: Type.Optional(Type.String({ maxLength: 64, description: 'Absent: the consent given to Laurel itself' })),
})

export async function consentRoutes(app: TypedApp): Promise<void> {
  const { platform } = app
  app.get(
    '/api/v1/me/consents',
    {
      preHandler: requireSignedIn,
      config,
      schema: { tags, summary: 'Your consent records, newest first, with those in force marked', response: { 200: Type.Array(ConsentView) } },
    },
    async (request) => consentViewsOf(app, signedInAuth(request).accountId),
  )
  app.post(
    '/api/v1/me/consents',
    {
      preHandler: requireSignedIn,
      config,
      schema: { tags, summary: 'Give consent to marketing email, to an organisation or to Laurel', body: GrantBody, response: { 201: ConsentView } },
    },
    async (request, reply) => {
      const auth = signedInAuth(request)
      const orgId = request.body.orgId ?? null
      await platform.db.transaction((tx) =>
        grantConsent(platform, tx, { email: auth.email, accountId: auth.accountId, orgId, purpose: 'marketing', source: 'api' }),
      )
      const views = await consentViewsOf(app, auth.accountId)
      const granted = views.find((view) => view.inForce && view.purpose === 'marketing' && view.orgId === orgId && view.email === auth.email)
      if (!granted) throw new Error('The consent just granted was not found.')
      return reply.status(201).send(granted)
    },
  )
  app.delete(
    '/api/v1/me/consents',
    {
      preHandler: requireSignedIn,
      config,
      schema: {
        tags,
        summary: 'Withdraw a consent (or stop emails about credentials) for every one of your addresses; idempotent',
        querystring: WithdrawQuery,
        response: { 200: Type.Object({ withdrawn: Type.Boolean({ description: 'False when nothing was in force' }) }) },
      },
    },
    async (request) => {
      const { purpose, orgId } = request.query
      return { withdrawn: await withdrawOwnConsent(app, signedInAuth(request).accountId, { purpose, orgId: orgId || null, via: 'api' }) }
    },
  )
}
