import { and, eq, inArray, isNull, or } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import type { WorkerTask } from '../../../platform/feature.ts'
import { startSweeper } from '../../../platform/jobs/sweeper.ts'
import type { Platform } from '../../../platform/platform.ts'
import { link, platformAdminEmails } from '../../identity/service.ts'
import { listMembers } from '../../orgs/service.ts'
import { getPrivacySettings } from '../settings.ts'
import { describeDeadline, localDay } from './deadline.ts'
import { type PrivacyRequest, privacyRequests } from './schema.ts'
import { calendarsOf, expireUnconfirmed, type RequestCalendar, readingScope, TYPE_LABELS, UNCONFIRMED_EXPIRY_MS } from './service.ts'
import { OPEN_STATUSES } from './state-machine.ts'

const SWEEP_INTERVAL_MS = 3_600_000

/** Where reminders go: the org's privacy contact, or else its owners; the platform admins for requests to the platform. */
async function privacyContactsOf(db: Db, orgId: string | null): Promise<string[]> {
  if (!orgId) return platformAdminEmails(db)
  const { contactEmail } = await getPrivacySettings(db, orgId)
  if (contactEmail) return [contactEmail]
  return (await listMembers(db, readingScope(orgId), { role: 'owner' })).items.map((owner) => owner.email)
}

/**
 * Emails the org's privacy contact once when an open request comes within two working days of its
 * deadline and once when it is overdue: the flag is claimed by a conditional update in the same
 * transaction as the message, so two workers never send it twice.
 */
async function remind(platform: Platform, request: PrivacyRequest, calendar: RequestCalendar): Promise<'near_due' | 'overdue' | null> {
  const deadline = describeDeadline(platform.clock.now(), request.dueAt, calendar)
  const kind = deadline.isOverdue && !request.overdueNotifiedAt ? 'overdue' : deadline.isNearDue && !request.nearDueNotifiedAt ? 'near_due' : null
  if (!kind) return null
  const { orgId } = request
  const page = orgId ? `/orgs/${orgId}/privacy/requests/${request.id}` : `/admin/privacy/requests/${request.id}`
  return platform.db.transaction(async (tx) => {
    const flag = kind === 'overdue' ? privacyRequests.overdueNotifiedAt : privacyRequests.nearDueNotifiedAt
    const now = platform.clock.now()
    const claimed = await tx
      .update(privacyRequests)
      .set(kind === 'overdue' ? { overdueNotifiedAt: now, nearDueNotifiedAt: request.nearDueNotifiedAt ?? now } : { nearDueNotifiedAt: now })
      .where(and(eq(privacyRequests.id, request.id), isNull(flag)))
      .returning({ id: privacyRequests.id })
    if (claimed.length === 0) return null
    const when = `is ${deadline.label}`
    const recipients = await privacyContactsOf(tx, orgId)
    await platform.mailer.sendMany(
      tx,
      recipients.map((to) => ({
        to,
        subject: `Privacy request ${when}`,
        text: `A privacy request to ${calendar.orgName ?? 'the platform'} (${TYPE_LABELS[request.type].toLowerCase()}, received ${localDay(request.receivedAt, calendar.timeZone)}) ${when}: the deadline is the end of ${localDay(request.dueAt, calendar.timeZone)} (${calendar.timeZone}).\n\n${link(platform, page)}\n`,
      })),
    )
    await platform.audit.recordIn(tx, { action: `privacy.request_${kind}_notified`, orgId, target: request.id })
    return kind
  })
}

/**
 * Expires public requests whose email was never confirmed within 30 days, then sends the reminders
 * that are due. Runs hourly in a worker; safe to run in several at once.
 */
export async function sweepPrivacyRequests(platform: Platform): Promise<{ expired: number; nearDue: number; overdue: number }> {
  const { db } = platform
  const expired = await expireUnconfirmed(platform, new Date(platform.clock.now().getTime() - UNCONFIRMED_EXPIRY_MS))
  const pending = await db
    .select()
    .from(privacyRequests)
    .where(and(inArray(privacyRequests.status, [...OPEN_STATUSES]), or(isNull(privacyRequests.nearDueNotifiedAt), isNull(privacyRequests.overdueNotifiedAt))))
  const calendars = await calendarsOf(
    db,
    pending.map((request) => request.orgId),
  )
  const counts = { expired, nearDue: 0, overdue: 0 }
  for (const request of pending) {
    const calendar = calendars.get(request.orgId)
    if (!calendar) continue
    const sent = await remind(platform, request, calendar)
    if (sent === 'near_due') counts.nearDue++
    if (sent === 'overdue') counts.overdue++
  }
  return counts
}

/** Sweeps now and every hour in a worker process. */
export const startPrivacyRequestSweeper = (platform: Platform): WorkerTask =>
  startSweeper(platform, { what: 'privacy request sweep', intervalMs: SWEEP_INTERVAL_MS, sweep: sweepPrivacyRequests })
