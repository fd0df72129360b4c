import { Type } from 'typebox'
import { listAuditEntries } from '../../platform/audit/query.ts'
import type { TypedApp } from '../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../platform/http/auth.ts'
import { API_RATE_LIMIT } from '../../platform/http/server.tsx'
import {
  AuditPage,
  AuditQuery,
  InvitationView,
  InviteForm,
  MemberPage,
  MemberParams,
  MembersQuery,
  MyOrgView,
  OrgParams,
  OrgView,
  RoleForm,
} from './contract.ts'
import { changeMemberRole, getOrg, inviteMember, listMembers, listOrgsForAccount, removeMember, requireRole, scopeOf } from './service.ts'

const tags = ['Organisations']
const config = { rateLimit: API_RATE_LIMIT }

export async function orgRoutes(app: TypedApp): Promise<void> {
  const { platform } = app

  app.get(
    '/api/v1/orgs',
    { preHandler: requireSignedIn, config, schema: { tags, summary: 'Organisations you belong to', response: { 200: Type.Array(MyOrgView) } } },
    async (request) => {
      const auth = signedInAuth(request)
      const orgs = await listOrgsForAccount(platform, auth.accountId)
      return auth.apiKey ? orgs.filter((org) => org.id === auth.apiKey?.orgId) : orgs
    },
  )

  app.get('/api/v1/orgs/:orgId', { config, schema: { tags, summary: 'One organisation', params: OrgParams, response: { 200: OrgView } } }, async (request) =>
    getOrg(platform.db, scopeOf(request)),
  )

  app.get(
    '/api/v1/orgs/:orgId/members',
    {
      config,
      schema: { tags, summary: 'Members, searchable and paged (staff and up)', params: OrgParams, querystring: MembersQuery, response: { 200: MemberPage } },
    },
    async (request) => {
      const scope = scopeOf(request)
      requireRole(scope, 'staff')
      return listMembers(platform.db, scope, { ...request.query, role: request.query.role || undefined })
    },
  )

  app.post(
    '/api/v1/orgs/:orgId/invitations',
    { config, schema: { tags, summary: 'Invite someone by email (admins)', params: OrgParams, body: InviteForm, response: { 201: InvitationView } } },
    async (request, reply) => {
      const invitation = await inviteMember(platform, scopeOf(request), request.body)
      return reply.status(201).send(invitation)
    },
  )

  app.patch(
    '/api/v1/orgs/:orgId/members/:memberId',
    { config, schema: { tags, summary: "Change a member's role (admins)", params: MemberParams, body: RoleForm, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await changeMemberRole(platform, scopeOf(request), request.params.memberId, request.body.role)
      return reply.status(204).send(null)
    },
  )

  app.delete(
    '/api/v1/orgs/:orgId/members/:memberId',
    { config, schema: { tags, summary: 'Remove a member (admins)', params: MemberParams, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await removeMember(platform, scopeOf(request), request.params.memberId)
      return reply.status(204).send(null)
    },
  )

  app.get(
    '/api/v1/orgs/:orgId/audit',
    { config, schema: { tags, summary: 'Audit log entries, newest first (admins)', params: OrgParams, querystring: AuditQuery, response: { 200: AuditPage } } },
    async (request) => {
      const scope = scopeOf(request)
      requireRole(scope, 'admin')
      const { query } = request
      return listAuditEntries(platform.db, {
        orgId: scope.orgId,
        action: query.action || undefined,
        actorAccountId: query.actor || undefined,
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
        page: query.page,
      })
    },
  )
}
