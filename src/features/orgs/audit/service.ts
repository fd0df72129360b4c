import { and, count, desc, eq, gte, ilike, inArray, lt, notInArray, or, type SQL } from 'drizzle-orm'
import { PRUNABLE_ACTIONS } from '../../../platform/audit/retention.ts'
import { auditEntries } from '../../../platform/audit/schema.ts'
import type { Db } from '../../../platform/db/client.ts'
import { escapeLike } from '../../../platform/db/columns.ts'
import type { Platform } from '../../../platform/platform.ts'
import { utcToZoned } from '../../../platform/time-zones.ts'
import { achievementNamesOf } from '../../credentials/service.ts'
import { type ExamSessionView, getExamSessionViews } from '../../exams/service.ts'
import { accountDirectory, getAccounts } from '../../identity/service.ts'
import { invitations, members } from '../schema.ts'
import { type OrgScope, type Page, requireRole } from '../service.ts'
import { actionLabel, describeAction, type Segment, sentenceText } from './sentences.ts'

export interface ActivityFilters {
  /** Part of a person's name or email: entries they made or that are about them as a member. */
  person?: string
  /** One action exactly (see AUDIT_ACTIONS). */
  action?: string
  from?: Date
  /** Exclusive. */
  to?: Date
  page?: number
  pageSize?: number
}

/** One audit entry in words. */
export interface ActivityLine {
  id: string
  recordedAt: Date
  action: string
  label: string
  /** Who acted: their name, "a deleted account", or Laurel. */
  actor: { name: string; email: string | null }
  sentence: Segment[]
  /** The accounts the sentence names (actor, member or account it is about): a remembered copy is derived from them. */
  accountIds: string[]
}

export const ACTIVITY_PAGE_SIZE = 50
export const ACTIVITY_CSV_LIMIT = 10_000

function personMatches(db: Db, scope: OrgScope, search: string): SQL | undefined {
  const directory = accountDirectory(db)
  const pattern = `%${escapeLike(search)}%`
  const matching = or(ilike(directory.name, pattern), ilike(directory.email, pattern))
  const accountIds = db.select({ id: directory.id }).from(directory).where(matching)
  const memberIds = db
    .select({ id: members.id })
    .from(members)
    .innerJoin(directory, eq(directory.id, members.accountId))
    .where(and(eq(members.orgId, scope.orgId), matching))
  return or(inArray(auditEntries.actorAccountId, accountIds), inArray(auditEntries.target, memberIds))
}

/**
 * The org's audit entries, newest first, each as a sentence naming its people (admins). Only entries
 * of this org are read; people are named from their accounts as they are now, so an erased or
 * disabled account reads as "a deleted account" whatever the entry held.
 */
export async function listActivity(db: Db, scope: OrgScope, filters: ActivityFilters = {}): Promise<Page<ActivityLine>> {
  requireRole(scope, 'admin')
  const page = Math.max(1, filters.page ?? 1)
  const pageSize = filters.pageSize ?? ACTIVITY_PAGE_SIZE
  const search = filters.person?.trim()
  const where = and(
    eq(auditEntries.orgId, scope.orgId),
    filters.action ? eq(auditEntries.action, filters.action) : undefined,
    search ? personMatches(db, scope, search) : undefined,
    filters.from ? gte(auditEntries.recordedAt, filters.from) : undefined,
    filters.to ? lt(auditEntries.recordedAt, filters.to) : undefined,
  )
  const [totals, entries] = await Promise.all([
    db.select({ total: count() }).from(auditEntries).where(where),
    newestEntries(db, where, pageSize, (page - 1) * pageSize),
  ])
  const total = totals[0]?.total ?? 0
  return { items: await describeEntries(db, scope, entries), total, page, pageCount: Math.max(1, Math.ceil(total / pageSize)) }
}

/** The org's newest entries but page and API requests, in words, without counting them all (the dashboard's; admins). */
export async function listRecentActivity(db: Db, scope: OrgScope, limit: number): Promise<ActivityLine[]> {
  requireRole(scope, 'admin')
  const entries = await newestEntries(db, and(eq(auditEntries.orgId, scope.orgId), notInArray(auditEntries.action, PRUNABLE_ACTIONS)), limit, 0)
  return describeEntries(db, scope, entries)
}

function newestEntries(db: Db, where: SQL | undefined, limit: number, offset: number) {
  return db.select().from(auditEntries).where(where).orderBy(desc(auditEntries.recordedAt), desc(auditEntries.seq)).limit(limit).offset(offset)
}

type Entry = typeof auditEntries.$inferSelect
type Person = { segment: Segment; name: string; email: string | null }

const DELETED: Person = { segment: 'a deleted account', name: 'a deleted account', email: null }
const LAUREL: Person = { segment: 'Laurel', name: 'Laurel', email: null }

async function describeEntries(db: Db, scope: OrgScope, entries: Entry[]): Promise<ActivityLine[]> {
  const targets = [...new Set(entries.flatMap((entry) => (entry.target ? [entry.target] : [])))]
  const actorIds = [...new Set(entries.flatMap((entry) => (entry.actorAccountId ? [entry.actorAccountId] : [])))]
  const sessionIds = [
    ...targets.filter((target) => target.startsWith('exs_')),
    ...entries.flatMap((entry) => (typeof entry.data.examSessionId === 'string' ? [entry.data.examSessionId] : [])),
  ]
  const [memberRows, invitationRows, achievementNames, sessions] = await Promise.all([
    targets.length + actorIds.length === 0
      ? []
      : db
          .select({ id: members.id, accountId: members.accountId })
          .from(members)
          .where(and(eq(members.orgId, scope.orgId), or(inArray(members.id, targets), inArray(members.accountId, actorIds)))),
    targets.some((target) => target.startsWith('inv_'))
      ? db
          .select({ id: invitations.id, email: invitations.email })
          .from(invitations)
          .where(and(eq(invitations.orgId, scope.orgId), inArray(invitations.id, targets)))
      : [],
    achievementNamesOf(
      db,
      scope,
      targets.filter((target) => target.startsWith('ach_')),
    ),
    sessionIds.length > 0 ? getExamSessionViews(db, scope, sessionIds) : new Map<string, ExamSessionView>(),
  ])
  const nameOf = (id: string) => {
    const session = sessions.get(id)
    return session ? `${session.examTitle}, ${utcToZoned(session.startsAt, session.timeZone).replace('T', ' ')}` : achievementNames.get(id)
  }
  const accountIdOfMember = new Map(memberRows.map((row) => [row.id, row.accountId]))
  const memberAccountIds = new Set(memberRows.map((row) => row.accountId))
  const accountTargets = targets.filter((target) => target.startsWith('acct_'))
  const accounts = await getAccounts(db, [...new Set([...actorIds, ...accountIdOfMember.values(), ...accountTargets])])
  const accountsById = new Map(accounts.map((account) => [account.id, account]))

  const orgPath = (...parts: string[]) => ['', 'orgs', scope.orgId, ...parts.map(encodeURIComponent)].join('/')
  const personOf = (accountId: string): Person => {
    const account = accountsById.get(accountId)
    if (!account || account.disabledAt) return DELETED
    const words = `${account.name} (${account.email})`
    const segment = memberAccountIds.has(accountId) ? { text: words, href: `${orgPath('members')}?${new URLSearchParams({ search: account.email })}` } : words
    return { segment, name: account.name, email: account.email }
  }
  const invitationEmail = new Map(invitationRows.map((row) => [row.id, row.email]))
  const subjectAccountOf = (target: string | null) =>
    target ? (accountIdOfMember.get(target) ?? (target.startsWith('acct_') ? target : undefined)) : undefined
  const subjectOf = (target: string | null): Segment | undefined => {
    if (!target) return undefined
    const memberAccount = accountIdOfMember.get(target)
    if (memberAccount) return personOf(memberAccount).segment
    if (target.startsWith('mem_')) return 'a former member'
    if (target.startsWith('acct_')) return personOf(target).segment
    return invitationEmail.get(target)
  }

  return entries.map((entry) => {
    const actor = entry.actorAccountId ? personOf(entry.actorAccountId) : LAUREL
    const context = {
      actor: actor.segment,
      isWithoutAccount: !entry.actorAccountId,
      subject: subjectOf(entry.target),
      target: entry.target,
      data: entry.data,
      orgPath,
      nameOf,
    }
    return {
      id: entry.id,
      recordedAt: entry.recordedAt,
      action: entry.action,
      label: actionLabel(entry.action),
      actor: { name: actor.name, email: actor.email },
      sentence: describeAction(entry.action, context),
      accountIds: [entry.actorAccountId, subjectAccountOf(entry.target)].filter((id): id is string => Boolean(id)),
    }
  })
}

/**
 * The filtered entries as CSV rows, a header first (at most ACTIVITY_CSV_LIMIT entries). The file names
 * people, so taking it is itself an audited action.
 */
export async function exportActivityCsv(platform: Platform, scope: OrgScope, filters: Omit<ActivityFilters, 'page' | 'pageSize'>): Promise<string[][]> {
  const { items } = await listActivity(platform.db, scope, { ...filters, page: 1, pageSize: ACTIVITY_CSV_LIMIT })
  await platform.audit.recordIn(platform.db, {
    action: 'orgs.audit_exported',
    orgId: scope.orgId,
    actorAccountId: scope.accountId,
    data: { rows: items.length },
  })
  return [
    ['When (UTC)', 'Person', 'Email', 'Action', 'What happened'],
    ...items.map((line) => [line.recordedAt.toISOString(), line.actor.name, line.actor.email ?? '', line.label, sentenceText(line.sentence)]),
  ]
}
