import { sql } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { mailMessages } from '../../../platform/mail/schema.ts'
import { achievements, certificateDesigns, credentialDeliveries, credentialEvents, credentials } from '../schema.ts'

/** What the org dashboard shows of credentials: this period's numbers and which first steps are done. */
export interface CredentialsSummary {
  issuedSince: number
  verifiedSince: number
  /** Emails not yet accepted by a mail server (queued, or in the outbox of a server without SMTP). */
  pendingDeliveries: number
  failedDeliveries: number
  hasAchievement: boolean
  hasCertificateDesign: boolean
  hasCredential: boolean
}

/** One statement of scalar subqueries, each on an org index: the dashboard reads it on every view. */
export async function summarizeCredentials(db: Db, scope: { orgId: string }, since: Date): Promise<CredentialsSummary> {
  const { orgId } = scope
  const deliveriesIn = (statuses: string[]) => sql`(select count(*)::int from ${credentialDeliveries}
      join ${mailMessages} on ${mailMessages.id} = ${credentialDeliveries.mailMessageId}
      where ${credentialDeliveries.orgId} = ${orgId} and ${mailMessages.status} in (${sql.join(
        statuses.map((status) => sql`${status}`),
        sql`, `,
      )}))`
  const result = await db.execute<{
    issued: number
    verified: number
    pending: number
    failed: number
    has_achievement: boolean
    has_design: boolean
    has_credential: boolean
  }>(sql`select
      (select count(*)::int from ${credentials} where ${credentials.orgId} = ${orgId} and ${credentials.createdAt} >= ${since.toISOString()}::timestamptz) as issued,
      (select count(*)::int from ${credentialEvents} where ${credentialEvents.orgId} = ${orgId} and ${credentialEvents.kind} = 'verified'
        and ${credentialEvents.occurredAt} >= ${since.toISOString()}::timestamptz) as verified,
      ${deliveriesIn(['queued', 'outbox'])} as pending,
      ${deliveriesIn(['failed'])} as failed,
      exists (select 1 from ${achievements} where ${achievements.orgId} = ${orgId}) as has_achievement,
      exists (select 1 from ${certificateDesigns} where ${certificateDesigns.orgId} = ${orgId}) as has_design,
      exists (select 1 from ${credentials} where ${credentials.orgId} = ${orgId}) as has_credential`)
  const row = result.rows[0]
  return {
    issuedSince: row?.issued ?? 0,
    verifiedSince: row?.verified ?? 0,
    pendingDeliveries: row?.pending ?? 0,
    failedDeliveries: row?.failed ?? 0,
    hasAchievement: row?.has_achievement ?? false,
    hasCertificateDesign: row?.has_design ?? false,
    hasCredential: row?.has_credential ?? false,
  }
}
