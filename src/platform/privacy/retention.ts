import { type Column, count, type SQL, sql } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import type { Db } from '../db/client.ts'
import type { RetentionPeriod, RetentionRule, Subject } from './registry.ts'

/** Deletes the rows `where` selects, or in a dry run counts them; returns how many. */
export async function deleteRows(db: Db, table: PgTable, where: SQL | undefined, dryRun: boolean): Promise<number> {
  if (dryRun) return countRows(db, table, where)
  const result = await db.delete(table).where(where)
  return result.rowCount ?? 0
}

export async function countRows(db: Db, table: PgTable, where: SQL | undefined): Promise<number> {
  const [row] = await db.select({ total: count() }).from(table).where(where)
  return row?.total ?? 0
}

/** `now` less `period`, in UTC calendar months for months. */
export function cutoffOf(now: Date, period: RetentionPeriod): Date {
  const cutoff = new Date(now)
  if (period.months) cutoff.setUTCMonth(cutoff.getUTCMonth() - period.months)
  cutoff.setTime(cutoff.getTime() - ((period.days ?? 0) * 24 + (period.hours ?? 0)) * 3600_000)
  return cutoff
}

const refuseErasure = () => Promise.reject(new Error('A retention rule erased a subject in a dry run; it must only count them.'))

/**
 * Applies one rule at `now`: orgs in `orgPeriodDays` (their chosen period in days) get their own
 * cutoff, every other row the rule's. Returns the rule's count.
 */
export function runRule(
  db: Db,
  rule: RetentionRule,
  options: { now: Date; dryRun: boolean; orgPeriodDays?: Map<string, number>; erase?: (subject: Subject) => Promise<void> },
): Promise<number> {
  const { now, dryRun } = options
  const cutoff = cutoffOf(now, rule.period)
  const orgCutoffs = new Map([...(options.orgPeriodDays ?? [])].map(([orgId, days]) => [orgId, cutoffOf(now, { days })]))
  const at = (date: Date) => sql`${date.toISOString()}::timestamptz`
  const isPastCutoff = (time: Column | SQL, orgId?: Column | SQL): SQL => {
    if (!orgId || orgCutoffs.size === 0) return sql`${time} < ${at(cutoff)}`
    const cases = [...orgCutoffs].map(([id, date]) => sql`when ${id} then ${at(date)}`)
    return sql`${time} < (case ${orgId} ${sql.join(cases, sql` `)} else ${at(cutoff)} end)`
  }
  return rule.apply(db, {
    now,
    dryRun,
    cutoffFor: (orgId) => (orgId === null ? cutoff : (orgCutoffs.get(orgId) ?? cutoff)),
    isPastCutoff,
    erase: dryRun || !options.erase ? refuseErasure : options.erase,
  })
}
