import { and, count, eq, gt, ilike, inArray, isNotNull, isNull, lte, or, type SQL, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import { escapeLike } from '../../platform/db/columns.ts'
import { prepared } from '../../platform/db/prepared.ts'
import { orderByOf, resolveSort, type SortableColumns, type SortQuery } from '../../platform/db/sort.ts'
import { NotFoundError } from '../../platform/errors.ts'
import type { MailStatus } from '../../platform/mail/schema.ts'
import { mailMessages } from '../../platform/mail/schema.ts'
import type { OrgScope } from '../orgs/service.ts'
import { achievements, credentialDeliveries, credentialSettings, credentials, statusLists } from './schema.ts'

export type CredentialStatus = 'valid' | 'revoked' | 'suspended' | 'expired' | 'not_yet_valid'
export const CREDENTIAL_STATUSES: CredentialStatus[] = ['valid', 'revoked', 'suspended', 'expired', 'not_yet_valid']

type StatusFields = Pick<typeof credentials.$inferSelect, 'revokedAt' | 'suspendedAt' | 'validFrom' | 'validUntil'>

export function statusOf(credential: StatusFields, now: Date): CredentialStatus {
  if (credential.revokedAt) return 'revoked'
  if (credential.suspendedAt) return 'suspended'
  if (credential.validUntil && credential.validUntil <= now) return 'expired'
  if (credential.validFrom > now) return 'not_yet_valid'
  return 'valid'
}

function statusCondition(status: CredentialStatus, now: Date): SQL | undefined {
  switch (status) {
    case 'revoked':
      return isNotNull(credentials.revokedAt)
    case 'suspended':
      return and(isNull(credentials.revokedAt), isNotNull(credentials.suspendedAt))
    case 'expired':
      return and(isNull(credentials.revokedAt), isNull(credentials.suspendedAt), lte(credentials.validUntil, now))
    case 'not_yet_valid':
      return and(isNull(credentials.revokedAt), isNull(credentials.suspendedAt), gt(credentials.validFrom, now))
    case 'valid':
      return and(
        isNull(credentials.revokedAt),
        isNull(credentials.suspendedAt),
        lte(credentials.validFrom, now),
        or(isNull(credentials.validUntil), gt(credentials.validUntil, now)),
      )
    default: {
      const unreachable: never = status
      throw new Error(`Unknown status ${unreachable}`)
    }
  }
}

export interface CredentialFilters {
  search?: string
  achievementId?: string
  status?: CredentialStatus
  /** The state of the credential's email. */
  delivery?: MailStatus
  /** Only these credentials (a selection on the list page). */
  ids?: string[]
  page?: number
  pageSize?: number
}

export const CREDENTIAL_PAGE_SIZE = 50

export type CredentialSortKey = 'created' | 'recipient' | 'achievement' | 'issued' | 'expires' | 'email'
export const CREDENTIAL_SORT: SortableColumns<CredentialSortKey> = {
  columns: {
    created: credentials.createdAt,
    recipient: sql`lower(${credentials.recipientName})`,
    achievement: sql`lower(${achievements.name})`,
    issued: credentials.validFrom,
    expires: credentials.validUntil,
    email: mailMessages.status,
  },
  defaultSort: { key: 'created', direction: 'desc' },
  tieBreaker: credentials.id,
}

/**
 * Issued credentials of an org, newest first unless `sort` says otherwise; `search` matches the
 * recipient's name or email, or the credential ID.
 */
export async function listCredentials(db: Db, scope: OrgScope, filters: CredentialFilters, now: Date, sortQuery: SortQuery = {}) {
  const page = Math.max(1, filters.page ?? 1)
  const pageSize = filters.pageSize ?? CREDENTIAL_PAGE_SIZE
  const search = filters.search ? escapeLike(filters.search.trim()) : undefined
  const sort = resolveSort(CREDENTIAL_SORT, sortQuery)
  const where = and(
    eq(credentials.orgId, scope.orgId),
    filters.achievementId ? eq(credentials.achievementId, filters.achievementId) : undefined,
    filters.status ? statusCondition(filters.status, now) : undefined,
    filters.delivery ? eq(mailMessages.status, filters.delivery) : undefined,
    filters.ids ? inArray(credentials.id, filters.ids) : undefined,
    search ? or(ilike(credentials.recipientName, `%${search}%`), ilike(credentials.recipientEmail, `%${search}%`), eq(credentials.id, search)) : undefined,
  )
  const [totals] = await db
    .select({ total: count() })
    .from(credentials)
    .leftJoin(credentialDeliveries, eq(credentialDeliveries.credentialId, credentials.id))
    .leftJoin(mailMessages, eq(mailMessages.id, credentialDeliveries.mailMessageId))
    .where(where)
  const rows = await db
    .select({
      id: credentials.id,
      recipientName: credentials.recipientName,
      recipientEmail: credentials.recipientEmail,
      achievementId: credentials.achievementId,
      achievementName: achievements.name,
      validFrom: credentials.validFrom,
      validUntil: credentials.validUntil,
      revokedAt: credentials.revokedAt,
      revocationReason: credentials.revocationReason,
      suspendedAt: credentials.suspendedAt,
      createdAt: credentials.createdAt,
      deliveryState: mailMessages.status,
    })
    .from(credentials)
    .leftJoin(achievements, eq(achievements.id, credentials.achievementId))
    .leftJoin(credentialDeliveries, eq(credentialDeliveries.credentialId, credentials.id))
    .leftJoin(mailMessages, eq(mailMessages.id, credentialDeliveries.mailMessageId))
    .where(where)
    .orderBy(...orderByOf(CREDENTIAL_SORT, sort))
    .limit(pageSize)
    .offset((page - 1) * pageSize)
  const total = totals?.total ?? 0
  return {
    items: rows.map((row) => ({ ...row, status: statusOf(row, now) })),
    total,
    page,
    sort,
    pageCount: Math.max(1, Math.ceil(total / pageSize)),
  }
}

export async function getCredential(db: Db, scope: OrgScope, credentialId: string) {
  const [row] = await db
    .select()
    .from(credentials)
    .where(and(eq(credentials.orgId, scope.orgId), eq(credentials.id, credentialId)))
  if (!row) throw new NotFoundError('credential', credentialId)
  return row
}

/**
 * The org's credentials with these IDs, locked for update when asked; all or nothing: another org's
 * credential, like a missing one, is not found and fails the whole selection.
 */
export async function getCredentials(db: Db, scope: OrgScope, credentialIds: string[], options: { forUpdate?: boolean } = {}) {
  const wanted = [...new Set(credentialIds)]
  if (wanted.length === 0) return []
  const query = db
    .select()
    .from(credentials)
    .where(and(eq(credentials.orgId, scope.orgId), inArray(credentials.id, wanted)))
    .orderBy(credentials.id)
  const rows = options.forUpdate ? await query.for('update') : await query
  const found = new Set(rows.map((row) => row.id))
  const missing = wanted.find((id) => !found.has(id))
  if (missing) throw new NotFoundError('credential', missing)
  return rows
}

export type CredentialToVerify = NonNullable<Awaited<ReturnType<typeof findCredentialToVerify>>>

/**
 * What verifying one of our credentials reads, in one query: the document, its suspension (which its
 * single OB 3.0 status entry cannot carry), the revocation list its status entry points at, which the
 * status check would otherwise load next, and what the analytics record of it.
 */
export async function findCredentialToVerify(db: Db, credentialId: string) {
  const [row] = await db
    .select({
      id: credentials.id,
      orgId: credentials.orgId,
      recipientEmail: credentials.recipientEmail,
      document: credentials.document,
      suspendedAt: credentials.suspendedAt,
      erasedAt: credentials.erasedAt,
      revocationListId: credentials.revocationListId,
      revocationList: statusLists.document,
      isRevocationListStale: statusLists.isStale,
    })
    .from(credentials)
    .innerJoin(statusLists, eq(statusLists.id, credentials.revocationListId))
    .where(eq(credentials.id, credentialId))
  return row
}

/** Credentials whose holder let search engines index the public page. */
export async function indexableCredentialIds(db: Db): Promise<string[]> {
  const rows = await db
    .select({ id: credentials.id })
    .from(credentials)
    .where(and(eq(credentials.isIndexable, true), isNull(credentials.erasedAt)))
    .orderBy(credentials.id)
  return rows.map((row) => row.id)
}

const publicCredentialQuery = (db: Db) =>
  db
    .select({ credential: credentials, achievement: achievements, orgPublicFields: credentialSettings.publicFields })
    .from(credentials)
    .leftJoin(achievements, eq(achievements.id, credentials.achievementId))
    .leftJoin(credentialSettings, eq(credentialSettings.orgId, credentials.orgId))
    .where(eq(credentials.id, sql.placeholder('credentialId')))
    .prepare('')

/**
 * A credential by its unguessable ID, whichever org issued it, with its achievement and the fields its
 * org publishes, for its public pages: read on every view.
 */
export async function findPublicCredential(db: Db, credentialId: string) {
  const [row] = await prepared(db, publicCredentialQuery).execute({ credentialId })
  return row
}
