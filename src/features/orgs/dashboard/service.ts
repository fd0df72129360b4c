import { sql } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import type { Platform } from '../../../platform/platform.ts'
import { utcToZoned, zonedToUtc } from '../../../platform/time-zones.ts'
import { type CredentialsSummary, summarizeCredentials } from '../../credentials/service.ts'
import { listUpcomingExamSessions } from '../../exams/service.ts'
import { type OpenRequestsSummary, summarizeOpenRequests } from '../../privacy-center/requests/service.ts'
import { type ActivityLine, listRecentActivity } from '../audit/service.ts'
import { invitations, members } from '../schema.ts'
import { countMembers, hasRole, type OrgScope } from '../service.ts'

export const UPCOMING_SESSIONS_SHOWN = 3
export const RECENT_ACTIVITY_SHOWN = 10

export interface ChecklistStep {
  key: 'achievement' | 'design' | 'credential' | 'mail' | 'staff'
  label: string
  /** What to do, or what "done" means when it is not obvious. */
  hint: string
  href: string
  isDone: boolean
}

export interface StaffDashboard {
  credentials: CredentialsSummary
  upcomingSessions: Awaited<ReturnType<typeof listUpcomingExamSessions>>
  privacyRequests: OpenRequestsSummary
  memberCount: number
  /** Admins only: the steps of a new org, none when all are done. */
  checklist: ChecklistStep[]
  /** Admins only (the audit log is theirs). */
  recentActivity: ActivityLine[]
}

/** The first instant of the current calendar month in the org's time zone. */
export function startOfMonth(now: Date, timeZone: string): Date {
  return zonedToUtc(`${utcToZoned(now, timeZone).slice(0, 7)}-01T00:00`, timeZone) ?? now
}

/** Whether someone besides the creator works for the org, or was invited to: a second member above "member", or an invitation for one. */
async function hasStaffInvited(db: Db, scope: OrgScope): Promise<boolean> {
  const result = await db.execute<{ is_done: boolean }>(sql`select
      (select count(*) from ${members} where ${members.orgId} = ${scope.orgId} and ${members.role} <> 'member') > 1
      or exists (select 1 from ${invitations} where ${invitations.orgId} = ${scope.orgId} and ${invitations.role} <> 'member' and ${invitations.revokedAt} is null)
      as is_done`)
  return result.rows[0]?.is_done ?? false
}

function checklistOf(platform: Platform, scope: OrgScope, credentials: CredentialsSummary, isStaffInvited: boolean): ChecklistStep[] {
  const base = `/orgs/${scope.orgId}`
  const steps: ChecklistStep[] = [
    {
      key: 'achievement',
      label: 'Create an achievement',
      hint: 'What people earn: a name, criteria and badge.',
      href: `${base}/achievements/new`,
      isDone: credentials.hasAchievement,
    },
    {
      key: 'design',
      label: 'Design the certificate',
      hint: 'Choose the layout, colours, logo and signature of an achievement’s PDF certificate.',
      href: `${base}/achievements`,
      isDone: credentials.hasCertificateDesign,
    },
    {
      key: 'credential',
      label: 'Issue the first credential',
      hint: 'To one person, or to many from a CSV file.',
      href: `${base}/credentials/issue`,
      isDone: credentials.hasCredential,
    },
    {
      key: 'mail',
      label: 'Set up mail',
      // Done means mail actually leaves the server: without SMTP every credential email stays in the outbox.
      hint: platform.mailer.usesOutbox
        ? 'This server has no mail server yet: emails stay in the outbox until a platform administrator sets SMTP_URL. Meanwhile, review the email recipients get.'
        : 'Review the email recipients get with their credential.',
      href: `${base}/credentials/email`,
      isDone: !platform.mailer.usesOutbox,
    },
    { key: 'staff', label: 'Invite staff', hint: 'Colleagues who issue credentials and run exam sessions.', href: `${base}/members`, isDone: isStaffInvited },
  ]
  return steps.every((step) => step.isDone) ? [] : steps
}

const DASHBOARD_MEMO = 'orgs.dashboard'

/**
 * The dashboard as shown to the org's staff or its admins, remembered for a few seconds: it is the
 * signed-in page every visit starts on (bench/http). Forgotten with the org (settings, members, privacy
 * requests) and with any account its recent activity names, so an erased name is never served again;
 * a new credential or exam session appears within MEMO_TTL_MS.
 */
export function rememberedStaffDashboard(platform: Platform, scope: OrgScope, timeZone: string): Promise<StaffDashboard> {
  const audience = hasRole(scope.role, 'admin') ? 'admin' : 'staff'
  return platform.memo.table<StaffDashboard>(DASHBOARD_MEMO).remember(
    `${scope.orgId}:${audience}`,
    () => loadStaffDashboard(platform, scope, timeZone),
    (dashboard) => [scope.orgId, ...dashboard.recentActivity.flatMap((line) => line.accountIds)],
  )
}

/** Everything the dashboard of a staff member (or above) shows, read in one round of parallel queries. */
export async function loadStaffDashboard(platform: Platform, scope: OrgScope, timeZone: string): Promise<StaffDashboard> {
  const now = platform.clock.now()
  const isAdmin = hasRole(scope.role, 'admin')
  const [credentials, upcomingSessions, privacyRequests, memberCount, isStaffInvited, activity] = await Promise.all([
    summarizeCredentials(platform.db, scope, startOfMonth(now, timeZone)),
    listUpcomingExamSessions(platform.db, scope, { now, limit: UPCOMING_SESSIONS_SHOWN }),
    summarizeOpenRequests(platform, scope.orgId),
    countMembers(platform, scope),
    isAdmin ? hasStaffInvited(platform.db, scope) : true,
    isAdmin ? listRecentActivity(platform.db, scope, RECENT_ACTIVITY_SHOWN) : [],
  ])
  return {
    credentials,
    upcomingSessions,
    privacyRequests,
    memberCount,
    checklist: isAdmin ? checklistOf(platform, scope, credentials, isStaffInvited) : [],
    recentActivity: activity,
  }
}
