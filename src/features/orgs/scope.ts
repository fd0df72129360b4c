import type { FastifyInstance, FastifyRequest } from 'fastify'
import { NotFoundError } from '../../platform/errors.ts'
import { requireSignedIn } from '../../platform/http/auth.ts'
import { buildOrgSideNav } from '../../platform/ui/navigation.ts'
import { hasRole, listOrgsForAccount, type Membership, type OrgScope, resolveOrgScope } from './service.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on every route with an `:orgId` parameter: the caller's membership there. */
    orgScope: OrgScope | null
    /** The signed-in account's orgs, loaded once per request for the scope and the navigation. */
    memberships: Membership[] | null
  }
}

export const ORG_COOKIE = 'laurel_org'

/**
 * Every route with an `:orgId` parameter is org-scoped: the caller must be signed in and a member
 * (else 404, as if the org did not exist), and an API key only reaches the org it was made for.
 */
export function installOrgScope(app: FastifyInstance): void {
  const { platform } = app
  app.decorateRequest('orgScope', null)
  app.decorateRequest('memberships', null)
  const membershipsOf = async (request: FastifyRequest, accountId: string) => {
    request.memberships ??= await listOrgsForAccount(platform, accountId)
    return request.memberships
  }
  app.addHook('preHandler', async (request, reply) => {
    const orgId = (request.params as { orgId?: string } | undefined)?.orgId
    if (!orgId) return
    await requireSignedIn(request, reply)
    if (reply.sent || !request.auth) return
    if (request.auth.apiKey && request.auth.apiKey.orgId !== orgId) throw new NotFoundError('org', orgId)
    const { accountId, isPlatformAdmin } = request.auth
    const membership = (await membershipsOf(request, accountId)).find((candidate) => candidate.id === orgId)
    request.orgScope = membership ? { orgId, accountId, role: membership.role } : await resolveOrgScope(platform.db, { orgId, accountId, isPlatformAdmin })
    if (request.method === 'GET' && request.cookies[ORG_COOKIE] !== orgId && !request.auth.apiKey) {
      reply.setCookie(ORG_COOKIE, orgId, { path: '/', httpOnly: true, sameSite: 'lax', secure: platform.config.isHttps })
    }
  })

  app.ui.navigation = async (request) => {
    const auth = request.auth
    if (!auth) return { account: null, orgs: [], currentOrg: null, orgNav: null }
    const orgs = await membershipsOf(request, auth.accountId)
    const scope = request.orgScope
    const current = scope ? (orgs.find((org) => org.id === scope.orgId) ?? { id: scope.orgId, name: 'Organisation', role: scope.role }) : null
    const orgNav = scope
      ? buildOrgSideNav(
          `/orgs/${scope.orgId}`,
          request.url.split('?')[0] ?? '',
          app.ui.orgNavItems.filter((item) => hasRole(scope.role, item.minimumRole)),
        )
      : null
    return {
      account: { name: auth.name, email: auth.email, isPlatformAdmin: auth.isPlatformAdmin },
      orgs: orgs.map(({ id, name }) => ({ id, name })),
      currentOrg: current ? { id: current.id, name: current.name, role: scope?.role ?? current.role } : null,
      orgNav,
    }
  }
}
