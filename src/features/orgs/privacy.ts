import { and, eq, gte, lt } from 'drizzle-orm'
import { definePrivacyProvider } from '../../platform/privacy/registry.ts'
import { accountDirectory } from '../identity/service.ts'
import { finishedInvitationsRule } from './retention.ts'
import { invitations, members } from './schema.ts'

export const orgsPrivacy = definePrivacyProvider({
  name: 'orgs',
  stores: [
    {
      table: 'members',
      columns: ['account_id', 'role'],
      purpose: 'Membership and roles in organisations',
      legalBasis: 'contract',
      retention: 'Until the person leaves or is removed',
    },
    {
      table: 'invitations',
      columns: ['email'],
      purpose: 'Inviting people to organisations',
      legalBasis: 'legitimate_interest',
      retention: 'Until accepted, revoked or expired (14 days), and one day more',
      rules: [finishedInvitationsRule],
    },
  ],
  notPersonal: [
    { table: 'orgs', columns: ['id', 'name', 'time_zone', 'default_locale'], reason: 'The organisation itself' },
    { table: 'members', columns: ['id', 'org_id'], reason: 'Random IDs' },
    {
      table: 'invitations',
      columns: ['id', 'org_id', 'role', 'token_hash', 'invited_by_account_id'],
      reason: 'Random IDs, the role offered, the hash of a random token and the staff account that invited',
    },
  ],
  retainedAfterErasure: [],
  subjectsHolding: {
    async members(db, { orgId, from, to }) {
      const accounts = accountDirectory(db)
      return db
        .select({ email: accounts.email, name: accounts.name, accountId: accounts.id })
        .from(members)
        .innerJoin(accounts, eq(accounts.id, members.accountId))
        .where(and(eq(members.orgId, orgId), from ? gte(members.createdAt, from) : undefined, to ? lt(members.createdAt, to) : undefined))
    },
    async invitations(db, { orgId, from, to }) {
      const rows = await db
        .selectDistinct({ email: invitations.email })
        .from(invitations)
        .where(and(eq(invitations.orgId, orgId), from ? gte(invitations.createdAt, from) : undefined, to ? lt(invitations.createdAt, to) : undefined))
      return rows.map((row) => ({ email: row.email, name: '', accountId: null }))
    },
  },
  async export(db, subject) {
    const memberships = subject.accountId ? await db.select().from(members).where(eq(members.accountId, subject.accountId)) : []
    const invited = await db.select().from(invitations).where(eq(invitations.email, subject.email))
    return {
      memberships: memberships.map(({ orgId, role, createdAt }) => ({ orgId, role, createdAt })),
      invitations: invited.map(({ orgId, email, role, createdAt, acceptedAt }) => ({ orgId, email, role, createdAt, acceptedAt })),
    }
  },
  async erase(db, subject) {
    await db.delete(invitations).where(eq(invitations.email, subject.email))
    if (!subject.accountId) return
    await db.update(invitations).set({ invitedByAccountId: null }).where(eq(invitations.invitedByAccountId, subject.accountId))
    // A disabled account stays a member: its ID is the member ID the org keeps.
    if (!subject.keepsAccount) await db.delete(members).where(eq(members.accountId, subject.accountId))
  },
})
