import { and, count, desc, eq, gte, ilike, lt, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { escapeLike } from '../db/columns.ts'
import { auditEntries } from './schema.ts'

export interface AuditFilters {
  orgId?: string
  action?: string
  actorAccountId?: string
  /** Entries about one thing (a request, a member): its ID. */
  target?: string
  from?: Date
  to?: Date
  page?: number
  pageSize?: number
}

export type AuditEntry = typeof auditEntries.$inferSelect

/** Newest first; `action` matches a prefix (`identity.` finds every identity action). */
export async function listAuditEntries(db: Db, filters: AuditFilters) {
  const page = Math.max(1, filters.page ?? 1)
  const pageSize = filters.pageSize ?? 50
  const conditions: (SQL | undefined)[] = [
    filters.orgId ? eq(auditEntries.orgId, filters.orgId) : undefined,
    filters.action ? ilike(auditEntries.action, `${escapeLike(filters.action)}%`) : undefined,
    filters.actorAccountId ? eq(auditEntries.actorAccountId, filters.actorAccountId) : undefined,
    filters.target ? eq(auditEntries.target, filters.target) : undefined,
    filters.from ? gte(auditEntries.recordedAt, filters.from) : undefined,
    filters.to ? lt(auditEntries.recordedAt, filters.to) : undefined,
  ]
  const where = and(...conditions)
  const [totals] = await db.select({ total: count() }).from(auditEntries).where(where)
  const items = await db
    .select()
    .from(auditEntries)
    .where(where)
    .orderBy(desc(auditEntries.recordedAt), desc(auditEntries.seq))
    .limit(pageSize)
    .offset((page - 1) * pageSize)
  const total = totals?.total ?? 0
  return { items, total, page, pageCount: Math.max(1, Math.ceil(total / pageSize)) }
}
