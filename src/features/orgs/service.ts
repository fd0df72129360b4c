import { and, asc, count, eq, gt, ilike, inArray, isNull, or, sql } from 'drizzle-orm'
import { hashToken } from '../../platform/crypto/hashing.ts'
import type { Db } from '../../platform/db/client.ts'
import { escapeLike } from '../../platform/db/columns.ts'
import { orderByOf, resolveSort, type Sort, type SortableColumns, type SortQuery } from '../../platform/db/sort.ts'
import { ConflictError, ForbiddenError, InvalidError, NotFoundError } from '../../platform/errors.ts'
import type { Locale } from '../../platform/i18n/locales.ts'
import { newSecret } from '../../platform/ids.ts'
import type { Platform } from '../../platform/platform.ts'
import { accountDirectory, findAccountByEmail, getAccount, link, normalizeEmail, revokeApiKeysForOrg, unlockSignIn } from '../identity/service.ts'
import { invitations, members, orgs, ROLES, type Role } from './schema.ts'

export type Org = typeof orgs.$inferSelect
export type Member = typeof members.$inferSelect

/** Who acts in which org, with what role: every org-owned query is filtered by `orgId`. */
export interface OrgScope {
  orgId: string
  accountId: string
  role: Role
}

const ROLE_RANK: Record<Role, number> = { member: 1, trainer: 2, staff: 3, admin: 4, owner: 5 }
const INVITATION_LIFETIME_MS = 14 * 24 * 3600_000

export function hasRole(role: Role, atLeast: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[atLeast]
}

/** The org scope the org-scope hook resolved for this request (routes with an `:orgId` parameter only). */
export function scopeOf(request: { orgScope: OrgScope | null }): OrgScope {
  if (!request.orgScope) throw new Error('This route has no :orgId parameter, so it has no org scope.')
  return request.orgScope
}

export function requireRole(scope: OrgScope, atLeast: Role): void {
  if (!hasRole(scope.role, atLeast)) throw new ForbiddenError('role_required', `This needs the ${atLeast} role or higher in this organisation.`)
}

export async function createOrg(platform: Platform, accountId: string, input: { name: string; timeZone?: string }): Promise<Org> {
  const timeZone = input.timeZone ?? 'UTC'
  if (!Intl.supportedValuesOf('timeZone').includes(timeZone) && timeZone !== 'UTC') {
    throw new InvalidError('invalid_time_zone', `Unknown time zone ${timeZone}.`, { timeZone: 'Choose a time zone from the list.' })
  }
  const created = await platform.db.transaction(async (tx) => {
    const [org] = await tx.insert(orgs).values({ name: input.name.trim(), timeZone }).returning()
    if (!org) throw new Error('The organisation was not created.')
    await tx.insert(members).values({ orgId: org.id, accountId, role: 'owner' })
    await platform.audit.recordIn(tx, { action: 'orgs.created', orgId: org.id, actorAccountId: accountId, target: org.id })
    return org
  })
  await platform.memo.forget(accountId)
  return created
}

export interface Membership {
  id: string
  name: string
  timeZone: string
  role: Role
}

const MEMBERSHIPS_MEMO = 'orgs.memberships'
const MEMBER_COUNT_MEMO = 'orgs.member_count'

/**
 * The account's orgs and its role in each. Read on every signed-in request, so remembered for a few
 * seconds (platform.memo); every change to a membership or an org forgets the account's and the org's copies.
 */
export async function listOrgsForAccount(platform: Platform, accountId: string): Promise<Membership[]> {
  return platform.memo.table<Membership[]>(MEMBERSHIPS_MEMO).remember(
    accountId,
    () =>
      platform.db
        .select({ id: orgs.id, name: orgs.name, timeZone: orgs.timeZone, role: members.role })
        .from(members)
        .innerJoin(orgs, eq(orgs.id, members.orgId))
        .where(eq(members.accountId, accountId))
        .orderBy(asc(orgs.name)),
    (memberships) => [accountId, ...memberships.map((membership) => membership.id)],
  )
}

/** The account's member IDs in every org, which audit entries about its memberships name as their target. */
export async function listMemberIdsOfAccount(db: Db, accountId: string): Promise<string[]> {
  const rows = await db.select({ id: members.id }).from(members).where(eq(members.accountId, accountId))
  return rows.map((row) => row.id)
}

/**
 * The caller's scope in an org. Someone who is not a member gets "not found", exactly as for an org
 * that does not exist, so org IDs cannot be probed. Platform admins act as admins everywhere.
 */
/** Whether the account holds any role above member in any org: it runs an org, so no retention rule may disable it. */
export async function worksForAnOrg(db: Db, accountId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: members.id })
    .from(members)
    .where(and(eq(members.accountId, accountId), sql`${members.role} <> 'member'`))
    .limit(1)
  return Boolean(row)
}

export async function resolveOrgScope(db: Db, input: { orgId: string; accountId: string; isPlatformAdmin: boolean }): Promise<OrgScope> {
  const [row] = await db
    .select({ role: members.role, orgId: orgs.id })
    .from(orgs)
    .leftJoin(members, and(eq(members.orgId, orgs.id), eq(members.accountId, input.accountId)))
    .where(eq(orgs.id, input.orgId))
  if (!row || (!row.role && !input.isPlatformAdmin)) throw new NotFoundError('org', input.orgId)
  const role: Role = row.role && (!input.isPlatformAdmin || hasRole(row.role, 'admin')) ? row.role : 'admin'
  return { orgId: input.orgId, accountId: input.accountId, role }
}

/** Every organisation's ID and name, for work done for each and public lists (e.g. each org's privacy policy). */
export async function listAllOrgs(db: Db): Promise<Pick<Org, 'id' | 'name'>[]> {
  return db.select({ id: orgs.id, name: orgs.name }).from(orgs).orderBy(asc(orgs.name))
}

/** An organisation's public face (ID and name), for public pages such as its privacy policy. */
export async function getPublicOrg(db: Db, orgId: string): Promise<Pick<Org, 'id' | 'name'>> {
  const [org] = await db.select({ id: orgs.id, name: orgs.name }).from(orgs).where(eq(orgs.id, orgId))
  if (!org) throw new NotFoundError('org', orgId)
  return org
}

export async function getOrg(db: Db, scope: OrgScope): Promise<Org> {
  const [org] = await db.select().from(orgs).where(eq(orgs.id, scope.orgId))
  if (!org) throw new NotFoundError('org', scope.orgId)
  return org
}

/** The names of these orgs (public: every credential names its issuer), for pages that list things from many orgs. */
export async function orgNamesOf(db: Db, orgIds: string[]): Promise<Map<string, string>> {
  if (orgIds.length === 0) return new Map()
  const rows = await db
    .select({ id: orgs.id, name: orgs.name })
    .from(orgs)
    .where(inArray(orgs.id, [...new Set(orgIds)]))
  return new Map(rows.map((row) => [row.id, row.name]))
}

export async function updateOrg(platform: Platform, scope: OrgScope, input: { name: string; timeZone: string; defaultLocale?: Locale }): Promise<Org> {
  requireRole(scope, 'admin')
  if (!Intl.supportedValuesOf('timeZone').includes(input.timeZone) && input.timeZone !== 'UTC') {
    throw new InvalidError('invalid_time_zone', `Unknown time zone ${input.timeZone}.`, { timeZone: 'Choose a time zone from the list.' })
  }
  const updated = await platform.db.transaction(async (tx) => {
    const [org] = await tx
      .update(orgs)
      .set({ name: input.name.trim(), timeZone: input.timeZone, defaultLocale: input.defaultLocale })
      .where(eq(orgs.id, scope.orgId))
      .returning()
    if (!org) throw new NotFoundError('org', scope.orgId)
    await platform.audit.recordIn(tx, { action: 'orgs.updated', orgId: scope.orgId, actorAccountId: scope.accountId, target: scope.orgId })
    return org
  })
  await platform.memo.forget(scope.orgId)
  return updated
}

export interface MemberView {
  id: string
  accountId: string
  name: string
  email: string
  role: Role
  createdAt: Date
}

export interface Page<T> {
  items: T[]
  total: number
  page: number
  pageCount: number
}

export const PAGE_SIZE = 25

export type MemberSortKey = 'name' | 'email' | 'role' | 'joined'

export async function listMembers(
  db: Db,
  scope: OrgScope,
  options: { search?: string; role?: Role; page?: number } & SortQuery = {},
): Promise<Page<MemberView> & { sort: Sort<MemberSortKey> }> {
  const page = Math.max(1, options.page ?? 1)
  const accounts = accountDirectory(db)
  const sortable: SortableColumns<MemberSortKey> = {
    columns: { name: sql`lower(${accounts.name})`, email: accounts.email, role: members.role, joined: members.createdAt },
    defaultSort: { key: 'name', direction: 'asc' },
    tieBreaker: members.id,
  }
  const sort = resolveSort(sortable, options)
  const search = options.search?.trim()
  const where = and(
    eq(members.orgId, scope.orgId),
    options.role ? eq(members.role, options.role) : undefined,
    search ? or(ilike(accounts.name, `%${escapeLike(search)}%`), ilike(accounts.email, `%${escapeLike(search)}%`)) : undefined,
  )
  const [totals] = await db.select({ total: count() }).from(members).innerJoin(accounts, eq(accounts.id, members.accountId)).where(where)
  const items = await db
    .select(memberViewColumns(accounts))
    .from(members)
    .innerJoin(accounts, eq(accounts.id, members.accountId))
    .where(where)
    .orderBy(...orderByOf(sortable, sort))
    .limit(PAGE_SIZE)
    .offset((page - 1) * PAGE_SIZE)
  const total = totals?.total ?? 0
  return { items, total, page, pageCount: Math.max(1, Math.ceil(total / PAGE_SIZE)), sort }
}

const memberViewColumns = (accounts: ReturnType<typeof accountDirectory>) => ({
  id: members.id,
  accountId: members.accountId,
  name: accounts.name,
  email: accounts.email,
  role: members.role,
  createdAt: members.createdAt,
})

/** One member with the person's name and email, for pages that name whom an action concerns. */
export async function getMemberView(db: Db, scope: OrgScope, memberId: string): Promise<MemberView> {
  const accounts = accountDirectory(db)
  const [member] = await db
    .select(memberViewColumns(accounts))
    .from(members)
    .innerJoin(accounts, eq(accounts.id, members.accountId))
    .where(and(eq(members.orgId, scope.orgId), eq(members.id, memberId)))
  if (!member) throw new NotFoundError('member', memberId)
  return member
}

export async function countMembers(platform: Platform, scope: OrgScope): Promise<number> {
  return platform.memo.table<number>(MEMBER_COUNT_MEMO).remember(
    scope.orgId,
    async () => {
      const [row] = await platform.db.select({ total: count() }).from(members).where(eq(members.orgId, scope.orgId))
      return row?.total ?? 0
    },
    () => [scope.orgId],
  )
}

export async function getMember(db: Db, scope: OrgScope, memberId: string): Promise<Member> {
  const [member] = await db
    .select()
    .from(members)
    .where(and(eq(members.orgId, scope.orgId), eq(members.id, memberId)))
  if (!member) throw new NotFoundError('member', memberId)
  return member
}

/** Invites someone by email; they join when they accept the emailed link while signed in with that address. */
export async function inviteMember(platform: Platform, scope: OrgScope, input: { email: string; role: Role }) {
  requireRole(scope, 'admin')
  if (input.role === 'owner') requireRole(scope, 'owner')
  const email = normalizeEmail(input.email)
  return platform.db.transaction(async (tx) => {
    const existing = await findAccountByEmail(tx, email)
    if (existing) {
      const [member] = await tx
        .select()
        .from(members)
        .where(and(eq(members.orgId, scope.orgId), eq(members.accountId, existing.id)))
      if (member) throw new ConflictError('already_member', `${email} is already a member.`)
    }
    const token = newSecret()
    const [invitation] = await tx
      .insert(invitations)
      .values({
        orgId: scope.orgId,
        email,
        role: input.role,
        tokenHash: hashToken(token),
        invitedByAccountId: scope.accountId,
        expiresAt: new Date(platform.clock.now().getTime() + INVITATION_LIFETIME_MS),
      })
      .returning()
    if (!invitation) throw new Error('The invitation was not stored.')
    const org = await getOrg(tx, scope)
    const inviter = await getAccount(tx, scope.accountId)
    await platform.mailer.send(tx, {
      orgId: scope.orgId,
      to: email,
      subject: `You are invited to join ${org.name} on Laurel`,
      text: `Hello,\n\n${inviter.name} invited you to join ${org.name} on Laurel as ${input.role}.\n\nAccept the invitation:\n${link(platform, `/invitations/accept?token=${token}`)}\n\nIf you have no Laurel account yet, sign up with this email address first. The invitation works for 14 days.\n`,
    })
    await platform.audit.recordIn(tx, {
      action: 'orgs.member_invited',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: invitation.id,
      data: { role: input.role },
    })
    return invitation
  })
}

export async function listPendingInvitations(platform: Platform, scope: OrgScope) {
  return platform.db
    .select({ id: invitations.id, email: invitations.email, role: invitations.role, createdAt: invitations.createdAt, expiresAt: invitations.expiresAt })
    .from(invitations)
    .where(
      and(eq(invitations.orgId, scope.orgId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, platform.clock.now())),
    )
    .orderBy(asc(invitations.createdAt))
}

export async function revokeInvitation(platform: Platform, scope: OrgScope, invitationId: string): Promise<void> {
  requireRole(scope, 'admin')
  await platform.db.transaction(async (tx) => {
    const revoked = await tx
      .update(invitations)
      .set({ revokedAt: platform.clock.now() })
      .where(and(eq(invitations.orgId, scope.orgId), eq(invitations.id, invitationId), isNull(invitations.acceptedAt)))
      .returning({ id: invitations.id })
    if (revoked.length === 0) throw new NotFoundError('invitation', invitationId)
    await platform.audit.recordIn(tx, { action: 'orgs.invitation_revoked', orgId: scope.orgId, actorAccountId: scope.accountId, target: invitationId })
  })
}

async function findLiveInvitation(platform: Platform, db: Db, token: string) {
  const [row] = await db
    .select({ invitation: invitations, orgName: orgs.name })
    .from(invitations)
    .innerJoin(orgs, eq(orgs.id, invitations.orgId))
    .where(
      and(
        eq(invitations.tokenHash, hashToken(token)),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, platform.clock.now()),
      ),
    )
  if (!row) throw new InvalidError('invitation_invalid', 'This invitation is invalid, expired, revoked or already accepted. Ask for a new one.')
  return row
}

export async function describeInvitation(platform: Platform, token: string) {
  const { invitation, orgName } = await findLiveInvitation(platform, platform.db, token)
  return { orgId: invitation.orgId, orgName, email: invitation.email, role: invitation.role }
}

/** Joins the org named by an invitation; the signed-in account must own the invited address. */
export async function acceptInvitation(platform: Platform, token: string, accountId: string): Promise<OrgScope> {
  const scope = await platform.db.transaction(async (tx) => {
    const { invitation } = await findLiveInvitation(platform, tx, token)
    const account = await getAccount(tx, accountId)
    if (account.email !== invitation.email) {
      throw new ForbiddenError('invitation_for_other_email', `This invitation was sent to ${invitation.email}. Sign in with that address to accept it.`)
    }
    await tx.update(invitations).set({ acceptedAt: platform.clock.now() }).where(eq(invitations.id, invitation.id))
    await tx.insert(members).values({ orgId: invitation.orgId, accountId, role: invitation.role }).onConflictDoNothing()
    await platform.audit.recordIn(tx, { action: 'orgs.invitation_accepted', orgId: invitation.orgId, actorAccountId: accountId, target: invitation.id })
    return { orgId: invitation.orgId, accountId, role: invitation.role }
  })
  await platform.memo.forget(accountId, scope.orgId)
  return scope
}

/** Adds an existing account directly, without an invitation (CLI and demo data). */
export async function addMember(platform: Platform, scope: OrgScope, input: { accountId: string; role: Role }): Promise<Member> {
  requireRole(scope, input.role === 'owner' ? 'owner' : 'admin')
  const added = await platform.db.transaction(async (tx) => {
    const [member] = await tx.insert(members).values({ orgId: scope.orgId, accountId: input.accountId, role: input.role }).onConflictDoNothing().returning()
    if (!member) throw new ConflictError('already_member', 'That account is already a member.')
    await platform.audit.recordIn(tx, {
      action: 'orgs.member_added',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: member.id,
      data: { role: input.role },
    })
    return member
  })
  await platform.memo.forget(input.accountId, scope.orgId)
  return added
}

export async function changeMemberRole(platform: Platform, scope: OrgScope, memberId: string, role: Role): Promise<void> {
  requireRole(scope, 'admin')
  if (!ROLES.includes(role)) throw new InvalidError('invalid_role', `Unknown role ${role}.`)
  const accountId = await platform.db.transaction(async (tx) => {
    const member = await getMember(tx, scope, memberId)
    if ((member.role === 'owner' || role === 'owner') && !hasRole(scope.role, 'owner')) {
      throw new ForbiddenError('owner_required', 'Only owners can make or unmake owners.')
    }
    if (member.role === 'owner' && role !== 'owner') await ensureAnotherOwner(tx, scope, member)
    await tx.update(members).set({ role }).where(eq(members.id, member.id))
    await platform.audit.recordIn(tx, {
      action: 'orgs.member_role_changed',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: member.id,
      data: { from: member.role, to: role },
    })
    return member.accountId
  })
  await platform.memo.forget(accountId, scope.orgId)
}

export async function removeMember(platform: Platform, scope: OrgScope, memberId: string): Promise<void> {
  requireRole(scope, 'admin')
  const accountId = await platform.db.transaction(async (tx) => {
    const member = await getMember(tx, scope, memberId)
    if (member.role === 'owner') {
      if (!hasRole(scope.role, 'owner')) throw new ForbiddenError('owner_required', 'Only owners can remove an owner.')
      await ensureAnotherOwner(tx, scope, member)
    }
    await tx.delete(members).where(eq(members.id, member.id))
    await revokeApiKeysForOrg(tx, member.accountId, scope.orgId, platform.clock.now())
    await platform.audit.recordIn(tx, { action: 'orgs.member_removed', orgId: scope.orgId, actorAccountId: scope.accountId, target: member.id })
    return member.accountId
  })
  await platform.memo.forget(accountId, scope.orgId)
}

/** An org admin lifts sign-in blocks on a member's account (the member can also do it by emailed link). */
export async function unlockMemberSignIn(platform: Platform, scope: OrgScope, memberId: string): Promise<void> {
  requireRole(scope, 'admin')
  await platform.db.transaction(async (tx) => {
    const member = await getMember(tx, scope, memberId)
    await unlockSignIn(platform, tx, member.accountId, { actorAccountId: scope.accountId, orgId: scope.orgId })
  })
}

async function ensureAnotherOwner(db: Db, scope: OrgScope, member: Member): Promise<void> {
  const [owners] = await db
    .select({ total: count() })
    .from(members)
    .where(and(eq(members.orgId, scope.orgId), eq(members.role, 'owner')))
  if ((owners?.total ?? 0) <= 1 && member.role === 'owner') {
    throw new ConflictError('last_owner', 'An organisation needs at least one owner. Make someone else owner first.')
  }
}
