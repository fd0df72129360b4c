import { Type } from 'typebox'
import type { TypedApp } from '../../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../../platform/http/auth.ts'
import { API_RATE_LIMIT } from '../../../platform/http/server.tsx'
import { verifiedEmailsOf } from '../../identity/service.ts'
import { scopeOf } from '../../orgs/service.ts'
import { ActionForm, OrgParams, OrgRequestParams, OwnRequestForm, RequestPage, RequestsQuery, RequestView } from './contract.ts'
import { myPrivacyPage } from './my-privacy-page.tsx'
import { publicRequestPages } from './public-pages.tsx'
import { queuePages } from './queue-pages.tsx'
import { actOnRequest, getRequest, listOwnRequests, listRequests, orgQueue, submitOwnRequest } from './service.ts'
import { privacySettingsPage } from './settings-page.tsx'

const tags = ['Privacy requests']
const config = { rateLimit: API_RATE_LIMIT }

/** Privacy requests: the JSON API, the public form, My privacy, the staff and platform queues, the privacy settings page. */
export async function privacyRequestRoutes(app: TypedApp): Promise<void> {
  const { platform } = app
  await app.register(publicRequestPages)
  await app.register(myPrivacyPage)
  await app.register(queuePages)
  await app.register(privacySettingsPage)

  app.get(
    '/api/v1/orgs/:orgId/privacy/requests',
    {
      config,
      schema: {
        tags,
        summary: 'Privacy requests to the organisation, open ones by deadline first (staff and up)',
        params: OrgParams,
        querystring: RequestsQuery,
        response: { 200: RequestPage },
      },
    },
    async (request) => listRequests(platform.db, orgQueue(scopeOf(request)), { ...request.query, status: request.query.status || undefined }),
  )

  app.get(
    '/api/v1/orgs/:orgId/privacy/requests/:requestId',
    { config, schema: { tags, summary: 'One privacy request (staff and up)', params: OrgRequestParams, response: { 200: RequestView } } },
    async (request) => getRequest(platform.db, orgQueue(scopeOf(request)), request.params.requestId),
  )

  app.post(
    '/api/v1/orgs/:orgId/privacy/requests/:requestId/transitions',
    {
      config,
      schema: {
        tags,
        summary: 'Move a request on: confirm_identity, start, send_for_approval, send_back (staff); complete, refuse with a note giving the reason (admins)',
        params: OrgRequestParams,
        body: ActionForm,
        response: { 200: RequestView },
      },
    },
    async (request) => actOnRequest(platform, orgQueue(scopeOf(request)), request.params.requestId, request.body),
  )

  app.get(
    '/api/v1/privacy/requests',
    {
      preHandler: requireSignedIn,
      config,
      schema: { tags, summary: 'Your own privacy requests, and those made for you', response: { 200: Type.Array(RequestView) } },
    },
    async (request) => {
      const auth = signedInAuth(request)
      return listOwnRequests(platform.db, auth.accountId, await verifiedEmailsOf(platform, auth.accountId))
    },
  )

  app.post(
    '/api/v1/privacy/requests',
    {
      preHandler: requireSignedIn,
      config,
      schema: {
        tags,
        summary: 'Make a privacy request about yourself (to an organisation, or to the platform without orgId)',
        body: OwnRequestForm,
        response: { 201: RequestView },
      },
    },
    async (request, reply) => {
      const auth = signedInAuth(request)
      const created = await submitOwnRequest(platform, auth, {
        orgId: request.body.orgId || null,
        type: request.body.type,
        details: request.body.details ?? null,
      })
      return reply.status(201).send(created)
    },
  )
}
