import { and, desc, eq, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm'
import { auditEntries } from '../../../platform/audit/schema.ts'
import type { Platform } from '../../../platform/platform.ts'
import { getAccount, listAccountEmails } from '../../identity/service.ts'
import { listMemberIdsOfAccount } from '../../orgs/service.ts'

export const ACCESS_LOG_KINDS = ['sign_in', 'page', 'account', 'by_others', 'privacy'] as const
export type AccessLogKind = (typeof ACCESS_LOG_KINDS)[number]
export const ACCESS_LOG_PAGE_SIZE = 50

export interface AccessLogEntry {
  /** The entry's sequence number: pass it as `before` for the entries older than this one. */
  seq: number
  at: Date
  kind: AccessLogKind
  action: string
  /** Who acted: the person themself, someone else (staff), or someone not signed in (a sign-in attempt, a password reset request). */
  actor: 'you' | 'someone_else' | 'not_signed_in'
  orgId: string | null
  /** Shown only for what the person did or what was tried on their account without signing in; never another person's. */
  ip: string | null
  userAgent: string | null
  details: Record<string, unknown>
}

export interface AccessLogPage {
  items: AccessLogEntry[]
  /** The `before` of the next (older) page; null on the last page. */
  nextBefore: number | null
}

const OTHER_ADDRESS = '(another person’s address)'
const OTHER_ACCOUNT = '(another account)'
const EMAIL_PATTERN = /[^\s@"'<>()[\],;:]+@[^\s@"'<>()[\],;:]+\.[a-z0-9-]+/gi
const ACCOUNT_ID_PATTERN = /\bacct_[0-9a-z]+/g

/**
 * What an entry may show the person: any other address or account ID in it is replaced, so an entry
 * about what they did to another person's record says what they did, not who that person is.
 */
function redact(value: unknown, own: { accountId: string; emails: Set<string> }): unknown {
  if (typeof value === 'string') {
    return value
      .replace(EMAIL_PATTERN, (email) => (own.emails.has(email.toLowerCase()) ? email : OTHER_ADDRESS))
      .replace(ACCOUNT_ID_PATTERN, (id) => (id === own.accountId ? id : OTHER_ACCOUNT))
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, own))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redact(item, own)]))
  return value
}

/**
 * The audit entries about the signed-in person's own account, newest first, `ACCESS_LOG_PAGE_SIZE`
 * at a time before `before`: what they did (sign-ins, pages, changes, exports), attempts on their
 * account, and what others did to their account, memberships or addresses. Nothing about anyone else:
 * an address is matched only from when the person proved it theirs (an earlier holder's entries stay
 * out), another actor's IP address and browser are never shown, and other people's addresses and
 * account IDs inside an entry are replaced.
 *
 * No index serves this query: it walks the log backwards by sequence and stops at a page, which is
 * cheap for anyone active and bounded by the log's retention for anyone else (see audit/schema.ts on
 * what each index costs every request).
 */
export async function listAccessLog(
  platform: Platform,
  accountId: string,
  options: { kind?: AccessLogKind; before?: number; pageSize?: number } = {},
): Promise<AccessLogPage> {
  const pageSize = options.pageSize ?? ACCESS_LOG_PAGE_SIZE
  const account = await getAccount(platform.db, accountId)
  const emails = (await listAccountEmails(platform.db, accountId)).filter((entry) => entry.verifiedAt)
  const memberIds = await listMemberIdsOfAccount(platform.db, accountId)
  const kind = sql<AccessLogKind>`case
    when ${auditEntries.action} like 'identity.sign\\_in%' then 'sign_in'
    when ${auditEntries.action} in ('http.page_request', 'http.api_request') then 'page'
    when ${auditEntries.action} like 'privacy.%' then 'privacy'
    when ${auditEntries.actorAccountId} is not null and ${auditEntries.actorAccountId} <> ${accountId} then 'by_others'
    else 'account' end`
  const aboutTheAccount = or(
    eq(auditEntries.actorAccountId, accountId),
    inArray(auditEntries.target, [accountId, ...memberIds]),
    sql`${auditEntries.data}->>'accountId' = ${accountId}`,
    ...emails.map(
      (entry) => and(sql`${auditEntries.data}->>'email' = ${entry.email}`, gte(auditEntries.recordedAt, entry.verifiedAt ?? account.createdAt)) as SQL,
    ),
  )
  const rows = await platform.db
    .select({
      seq: auditEntries.seq,
      at: auditEntries.recordedAt,
      kind,
      action: auditEntries.action,
      actorAccountId: auditEntries.actorAccountId,
      orgId: auditEntries.orgId,
      ip: auditEntries.ip,
      userAgent: auditEntries.userAgent,
      data: auditEntries.data,
    })
    .from(auditEntries)
    .where(
      and(
        aboutTheAccount,
        gte(auditEntries.recordedAt, account.createdAt),
        options.before ? lt(auditEntries.seq, options.before) : undefined,
        options.kind ? sql`${kind} = ${options.kind}` : undefined,
      ),
    )
    .orderBy(desc(auditEntries.seq))
    .limit(pageSize + 1)
  const own = { accountId, emails: new Set(emails.map((entry) => entry.email)) }
  const items = rows.slice(0, pageSize).map((row): AccessLogEntry => {
    const actor = row.actorAccountId === accountId ? 'you' : row.actorAccountId === null ? 'not_signed_in' : 'someone_else'
    const isOwnSide = actor !== 'someone_else'
    return {
      seq: row.seq,
      at: row.at,
      kind: row.kind,
      action: row.action,
      actor,
      orgId: row.orgId,
      ip: isOwnSide ? row.ip : null,
      userAgent: isOwnSide ? row.userAgent : null,
      details: redact(row.data, own) as Record<string, unknown>,
    }
  })
  return { items, nextBefore: rows.length > pageSize ? (items.at(-1)?.seq ?? null) : null }
}
