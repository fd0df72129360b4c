import { and, asc, count, eq } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import type { Platform } from '../../../platform/platform.ts'
import type { OrgScope } from '../../orgs/service.ts'
import { examRegistrations } from '../schema.ts'
import { emailCandidates } from './candidate-mail.ts'

/**
 * Seats waitlisted candidates, first registered first, while the exam session has free seats. Call
 * with the exam session locked. Seated candidates are never unseated, even when seats shrink. Each
 * one seated is emailed in the same transaction.
 */
export async function fillFreeSeats(platform: Platform, tx: Db, scope: Pick<OrgScope, 'orgId' | 'accountId'>, session: { id: string; seats: number }) {
  const [taken] = await tx
    .select({ seated: count() })
    .from(examRegistrations)
    .where(and(eq(examRegistrations.examSessionId, session.id), eq(examRegistrations.status, 'seated')))
  const free = session.seats - (taken?.seated ?? 0)
  if (free <= 0) return []
  const next = await tx
    .select({ id: examRegistrations.id })
    .from(examRegistrations)
    .where(and(eq(examRegistrations.examSessionId, session.id), eq(examRegistrations.status, 'waitlisted')))
    .orderBy(asc(examRegistrations.position))
    .limit(free)
  const promoted = []
  for (const { id } of next) {
    const [row] = await tx.update(examRegistrations).set({ status: 'seated' }).where(eq(examRegistrations.id, id)).returning()
    if (row) promoted.push(row)
    await platform.audit.recordIn(tx, { action: 'exams.candidate_promoted', orgId: scope.orgId, actorAccountId: scope.accountId, target: id })
  }
  await emailCandidates(
    platform,
    tx,
    promoted.map((registration) => ({ registration, event: { kind: 'promoted' } })),
  )
  return promoted
}
