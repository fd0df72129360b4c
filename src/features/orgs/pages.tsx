import type { FastifyReply, FastifyRequest } from 'fastify'
import { type Static, Type } from 'typebox'
import { ConflictError, ForbiddenError, InvalidError } from '../../platform/errors.ts'
import type { TypedApp } from '../../platform/feature.ts'
import { requireSignedIn, signedInAuth } from '../../platform/http/auth.ts'
import { parseForm } from '../../platform/http/forms.ts'
import { LanguageSelect } from '../../platform/i18n/language-select.tsx'
import {
  CsrfField,
  EmptyState,
  Field,
  FormErrorSummary,
  type FormState,
  listHref,
  Pagination,
  PurposeNotice,
  SelectField,
  type SortableColumn,
  SortableTableHead,
  SortFields,
  type SortState,
  TableHead,
} from '../../platform/ui/components.tsx'
import { InvitationParams, InviteForm, MemberParams, MembersQuery, OrgForm, OrgParams, RoleChangeForm } from './contract.ts'
import { ROLES, type Role } from './schema.ts'
import { ORG_COOKIE } from './scope.ts'
import {
  acceptInvitation,
  changeMemberRole,
  createOrg,
  describeInvitation,
  getMemberView,
  getOrg,
  hasRole,
  inviteMember,
  listMembers,
  listOrgsForAccount,
  listPendingInvitations,
  type MemberView,
  type OrgScope,
  removeMember,
  requireRole,
  revokeInvitation,
  scopeOf,
  unlockMemberSignIn,
  updateOrg,
} from './service.ts'

const MEMBER_COLUMNS: SortableColumn[] = [
  { label: 'Name', sortKey: 'name' },
  { label: 'Email', sortKey: 'email' },
  { label: 'Role', sortKey: 'role' },
  { label: 'Joined', sortKey: 'joined', firstDirection: 'desc' },
]
const ACTIONS_COLUMN: SortableColumn = { label: '' }
const roleLabel = (role: Role) => role[0]?.toUpperCase() + role.slice(1)
const ROLE_OPTIONS = ROLES.map((role) => ({ value: role, label: roleLabel(role) }))
const TIME_ZONES = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')]
const TokenQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) })
const TokenForm = Type.Object({ token: Type.Optional(Type.String()) })

const formatDateTime = (date: Date) => date.toISOString().replace('T', ' ').slice(0, 16)

export async function orgPages(app: TypedApp): Promise<void> {
  const { platform } = app

  app.get('/', async (request, reply) => {
    if (!request.auth) return reply.redirect('/sign-in')
    const orgs = await listOrgsForAccount(platform, request.auth.accountId)
    const remembered = orgs.find((org) => org.id === request.cookies[ORG_COOKIE]) ?? orgs[0]
    // Someone in no org is a recipient: their home is their credentials (creating an org stays a link away there).
    return reply.redirect(remembered ? `/orgs/${remembered.id}` : '/me/credentials')
  })

  const newOrgPage = (reply: FastifyReply, state: FormState = {}) =>
    reply.page(
      'New organisation',
      <article class="narrow">
        <h1>New organisation</h1>
        <FormErrorSummary state={state} />
        <form method="post" action="/orgs" novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field name="name" label="Name" required state={state} hint="For example: Northwind Certification Board" />
          <SelectField name="timeZone" label="Time zone" options={TIME_ZONES.map((zone) => ({ value: zone, label: zone }))} state={state} value="UTC" />
          <button type="submit">Create organisation</button>
        </form>
      </article>,
    )

  await app.register(async (signedIn: TypedApp) => {
    signedIn.addHook('preHandler', requireSignedIn)

    signedIn.get('/orgs', async (request, reply) => {
      const orgs = await listOrgsForAccount(platform, signedInAuth(request).accountId)
      return reply.page(
        'Organisations',
        <>
          <h1>Your organisations</h1>
          {orgs.length === 0 ? (
            <EmptyState>You are not in any organisation yet. Create one, or accept an invitation from your email.</EmptyState>
          ) : (
            <ul>
              {orgs.map((org) => (
                <li>
                  <a href={`/orgs/${org.id}`} safe>
                    {org.name}
                  </a>{' '}
                  <span class="badge">{org.role}</span>
                </li>
              ))}
            </ul>
          )}
          <p>
            <a href="/orgs/new" role="button">
              New organisation
            </a>
          </p>
        </>,
      )
    })
    signedIn.get('/orgs/new', async (_request, reply) => newOrgPage(reply))
    signedIn.post('/orgs', async (request, reply) => {
      const form = parseForm(OrgForm, request.body)
      if (!form.ok) return newOrgPage(reply.status(422), form)
      const org = await createOrg(platform, signedInAuth(request).accountId, form.value)
      reply.flash('success', `${org.name} is ready. Invite your team from Members.`)
      return reply.redirect(`/orgs/${org.id}`)
    })

    const invitationPage = async (request: FastifyRequest, reply: FastifyReply, token: string) => {
      const invitation = await describeInvitation(platform, token)
      const auth = signedInAuth(request)
      const isRightAccount = auth.email === invitation.email
      return reply.page(
        'Invitation',
        <article class="narrow">
          <h1>
            Join <span safe>{invitation.orgName}</span>
          </h1>
          <p>
            You are invited as <strong>{invitation.role}</strong>.
          </p>
          {isRightAccount ? (
            <form method="post" action="/invitations/accept">
              <CsrfField token={reply.csrfToken()} />
              <input type="hidden" name="token" value={token} />
              <button type="submit">Accept invitation</button>
            </form>
          ) : (
            <p class="flash flash-error">
              This invitation is for <strong safe>{invitation.email}</strong>, but you are signed in as <strong safe>{auth.email}</strong>. Sign out and sign in
              (or sign up) with the invited address.
            </p>
          )}
        </article>,
      )
    }
    signedIn.get('/invitations/accept', { schema: { querystring: TokenQuery } }, async (request, reply) =>
      invitationPage(request, reply, request.query.token ?? ''),
    )
    signedIn.post('/invitations/accept', { schema: { body: TokenForm } }, async (request, reply) => {
      const { token } = request.body
      if (!token) throw new InvalidError('invitation_invalid', 'The invitation link is incomplete.')
      const scope = await acceptInvitation(platform, token, signedInAuth(request).accountId)
      reply.flash('success', 'Welcome aboard: you are now a member.')
      return reply.redirect(`/orgs/${scope.orgId}`)
    })
  })

  // Org-scoped pages: installOrgScope has resolved request.orgScope (or answered 404) before these run.
  const membersPage = async (request: FastifyRequest, reply: FastifyReply, query: Static<typeof MembersQuery>, inviteState: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'staff')
    const [page, invitations] = await Promise.all([
      listMembers(platform.db, scope, { search: query.search, role: query.role || undefined, sort: query.sort, dir: query.dir, page: query.page }),
      hasRole(scope.role, 'admin') ? listPendingInvitations(platform, scope) : Promise.resolve([]),
    ])
    const isAdmin = hasRole(scope.role, 'admin')
    const base = `/orgs/${scope.orgId}/members`
    const csrf = reply.csrfToken()
    const filters = { search: query.search, role: query.role }
    const order = { sort: page.sort.key, dir: page.sort.direction }
    const href = (pageNumber: number) => listHref(base, { ...filters, ...order, page: pageNumber })
    const sortHref = (sort: SortState) => listHref(base, { ...filters, sort: sort.key, dir: sort.direction })
    return reply.page(
      'Members',
      <>
        <h1>Members</h1>
        <form method="get" action={base} class="filters">
          <input type="search" name="search" placeholder="Search name or email" value={query.search ?? ''} aria-label="Search members" />
          <select name="role" aria-label="Filter by role">
            <option value="">All roles</option>
            {ROLE_OPTIONS.map((option) => (
              <option value={option.value} selected={query.role === option.value} safe>
                {option.label}
              </option>
            ))}
          </select>
          <SortFields sort={order.sort} dir={order.dir} />
          <button type="submit">Filter</button>
        </form>
        {page.items.length === 0 ? (
          <EmptyState action={{ href: `/orgs/${scope.orgId}/members`, label: 'Clear the filters' }}>No members match these filters.</EmptyState>
        ) : (
          <table>
            <SortableTableHead columns={[...MEMBER_COLUMNS, ...(isAdmin ? [ACTIONS_COLUMN] : [])]} sort={page.sort} href={sortHref} />
            <tbody>
              {page.items.map((member) => (
                <tr>
                  <td safe>{member.name}</td>
                  <td safe>{member.email}</td>
                  <td>
                    {isAdmin ? (
                      <form method="post" action={`${base}/${member.id}/role`} class="inline">
                        <CsrfField token={csrf} />
                        <select name="role" aria-label={`Role of ${member.name}`}>
                          {ROLE_OPTIONS.map((option) => (
                            <option value={option.value} selected={member.role === option.value} safe>
                              {option.label}
                            </option>
                          ))}
                        </select>{' '}
                        <button type="submit" class="secondary outline">
                          Change role
                        </button>
                      </form>
                    ) : (
                      <span>{member.role}</span>
                    )}
                  </td>
                  <td safe>{member.createdAt.toISOString().slice(0, 10)}</td>
                  {isAdmin && (
                    <td class="actions">
                      <form method="post" action={`${base}/${member.id}/unlock`} class="inline">
                        <CsrfField token={csrf} />
                        <button type="submit" class="secondary outline" title="Lift sign-in blocks after failed attempts">
                          Unlock sign-in
                        </button>
                      </form>{' '}
                      <form method="post" action={`${base}/${member.id}/remove`} class="inline" data-confirm={`Remove ${member.name} from this organisation?`}>
                        <CsrfField token={csrf} />
                        <button type="submit" class="secondary">
                          Remove
                        </button>
                      </form>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pagination page={page.page} pageCount={page.pageCount} href={href} />
        {isAdmin && (
          <>
            <article id="invite">
              <h2>Invite someone</h2>
              <FormErrorSummary state={inviteState} />
              <form method="post" action={`/orgs/${scope.orgId}/invitations`} novalidate>
                <CsrfField token={csrf} />
                <Field name="email" label="Email" type="email" state={inviteState} />
                <SelectField name="role" label="Role" options={ROLE_OPTIONS} state={inviteState} value="member" />
                <PurposeNotice purpose="The address is used only to email the invitation link; it is deleted when the invitation expires or is revoked." />
                <button type="submit">Send invitation</button>
              </form>
            </article>
            <h2>Pending invitations</h2>
            {invitations.length === 0 ? (
              <EmptyState action={{ href: '#invite', label: 'Invite someone' }}>No pending invitations.</EmptyState>
            ) : (
              <table>
                <TableHead columns={['Email', 'Role', 'Expires', '']} />
                <tbody>
                  {invitations.map((invitation) => (
                    <tr>
                      <td safe>{invitation.email}</td>
                      <td>{invitation.role}</td>
                      <td safe>{formatDateTime(invitation.expiresAt)}</td>
                      <td class="actions">
                        <form
                          method="post"
                          action={`/orgs/${scope.orgId}/invitations/${invitation.id}/revoke`}
                          class="inline"
                          data-confirm="Revoke this invitation?"
                        >
                          <CsrfField token={csrf} />
                          <button type="submit" class="secondary outline">
                            Revoke
                          </button>
                        </form>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </>,
      { orgId: scope.orgId },
    )
  }
  app.get('/orgs/:orgId/members', { schema: { params: OrgParams, querystring: MembersQuery } }, async (request, reply) =>
    membersPage(request, reply, request.query),
  )
  app.post('/orgs/:orgId/invitations', { schema: { params: OrgParams } }, async (request, reply) => {
    const form = parseForm(InviteForm, request.body)
    if (!form.ok) return membersPage(request, reply.status(422), {}, form)
    await inviteMember(platform, scopeOf(request), form.value)
    reply.flash('success', `Invitation sent to ${form.value.email}.`)
    return reply.redirect(`/orgs/${scopeOf(request).orgId}/members`)
  })
  app.post('/orgs/:orgId/invitations/:invitationId/revoke', { schema: { params: InvitationParams } }, async (request, reply) => {
    await revokeInvitation(platform, scopeOf(request), request.params.invitationId)
    reply.flash('success', 'Invitation revoked.')
    return reply.redirect(`/orgs/${scopeOf(request).orgId}/members`)
  })
  /** Granting Owner hands over everything, so it takes a second, explicit yes (a page, so it works without JavaScript). */
  const ownerConfirmationPage = (reply: FastifyReply, scope: OrgScope, member: MemberView) =>
    reply.page(
      'Make owner?',
      <article>
        <h1 safe>Make {member.name} an owner?</h1>
        <p>
          Owners can do everything in this organisation, including making and removing other owners and deleting the organisation. Only grant it to someone you
          trust with all of it.
        </p>
        <form method="post" action={`/orgs/${scope.orgId}/members/${member.id}/role`}>
          <CsrfField token={reply.csrfToken()} />
          <input type="hidden" name="role" value="owner" />
          <input type="hidden" name="confirm" value="yes" />
          <button type="submit">Yes, make owner</button>{' '}
          <a href={`/orgs/${scope.orgId}/members`} role="button" class="secondary">
            Cancel
          </a>
        </form>
      </article>,
      { orgId: scope.orgId },
    )
  app.post('/orgs/:orgId/members/:memberId/role', { schema: { params: MemberParams } }, async (request, reply) => {
    const scope = scopeOf(request)
    requireRole(scope, 'admin')
    const form = parseForm(RoleChangeForm, request.body)
    if (!form.ok) throw new InvalidError('invalid_role', form.errors.role ?? 'Choose a role.')
    const member = await getMemberView(platform.db, scope, request.params.memberId)
    const role = form.value.role
    if (role === 'owner' && member.role !== 'owner' && form.value.confirm !== 'yes') return ownerConfirmationPage(reply, scope, member)
    try {
      await changeMemberRole(platform, scope, member.id, role)
      reply.flash('success', `${member.name} is now ${roleLabel(role)}.`)
    } catch (error) {
      if (!(error instanceof ConflictError || error instanceof ForbiddenError)) throw error
      reply.flash('error', `${member.name} is still ${roleLabel(member.role)}: ${error.message}`)
    }
    return reply.redirect(`/orgs/${scope.orgId}/members`)
  })
  app.post('/orgs/:orgId/members/:memberId/remove', { schema: { params: MemberParams } }, async (request, reply) => {
    await removeMember(platform, scopeOf(request), request.params.memberId)
    reply.flash('success', 'Member removed.')
    return reply.redirect(`/orgs/${scopeOf(request).orgId}/members`)
  })
  app.post('/orgs/:orgId/members/:memberId/unlock', { schema: { params: MemberParams } }, async (request, reply) => {
    await unlockMemberSignIn(platform, scopeOf(request), request.params.memberId)
    reply.flash('success', 'Sign-in is unlocked for that member.')
    return reply.redirect(`/orgs/${scopeOf(request).orgId}/members`)
  })

  const settingsPage = async (request: FastifyRequest, reply: FastifyReply, state: FormState = {}) => {
    const scope = scopeOf(request)
    requireRole(scope, 'admin')
    const org = await getOrg(platform.db, scope)
    return reply.page(
      'Settings',
      <article>
        <h1>Settings</h1>
        <FormErrorSummary state={state} />
        <form method="post" action={`/orgs/${org.id}/settings`} novalidate>
          <CsrfField token={reply.csrfToken()} />
          <Field name="name" label="Name" value={org.name} state={state} />
          <SelectField
            name="timeZone"
            label="Time zone"
            options={TIME_ZONES.map((zone) => ({ value: zone, label: zone }))}
            value={org.timeZone}
            state={state}
          />
          <LanguageSelect
            name="defaultLocale"
            label="Default language of credentials (their page, certificate and email)"
            value={org.defaultLocale}
            state={state}
          />
          <button type="submit">Save</button>
        </form>
      </article>,
      { orgId: org.id },
    )
  }
  app.get('/orgs/:orgId/settings', { schema: { params: OrgParams } }, async (request, reply) => settingsPage(request, reply))
  app.post('/orgs/:orgId/settings', { schema: { params: OrgParams } }, async (request, reply) => {
    const form = parseForm(OrgForm, request.body)
    if (!form.ok) return settingsPage(request, reply.status(422), form)
    await updateOrg(platform, scopeOf(request), { name: form.value.name, timeZone: form.value.timeZone ?? 'UTC', defaultLocale: form.value.defaultLocale })
    reply.flash('success', 'Settings saved.')
    return reply.redirect(`/orgs/${scopeOf(request).orgId}/settings`)
  })
}
