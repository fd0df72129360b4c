import { eq } from 'drizzle-orm'
import { definePrivacyProvider } from '../../platform/privacy/registry.ts'
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
  retainedAfterErasure: [],
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
    await db.delete(members).where(eq(members.accountId, subject.accountId))
  },
})
