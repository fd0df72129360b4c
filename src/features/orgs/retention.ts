import { sql } from 'drizzle-orm'
import type { RetentionRule } from '../../platform/privacy/registry.ts'
import { deleteRows } from '../../platform/privacy/retention.ts'
import { invitations } from './schema.ts'

/**
 * Invitations live 14 days. Once accepted, revoked or expired they are kept one more day, so that
 * opening the link again still explains why it no longer works, then deleted.
 */
export const finishedInvitationsRule: RetentionRule = {
  key: 'orgs.finished-invitations',
  action: 'delete',
  what: 'invitations accepted, revoked or expired (14 days after they were sent), with the invited address',
  from: 'the acceptance, revocation or expiry',
  period: { days: 1 },
  apply: (db, { isPastCutoff, dryRun }) =>
    deleteRows(db, invitations, isPastCutoff(sql`least(${invitations.acceptedAt}, ${invitations.revokedAt}, ${invitations.expiresAt})`), dryRun),
}
