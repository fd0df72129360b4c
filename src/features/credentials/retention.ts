import { sql } from 'drizzle-orm'
import type { RetentionRule } from '../../platform/privacy/registry.ts'
import { countRows } from '../../platform/privacy/retention.ts'
import { credentialEvents } from './schema.ts'

/**
 * Analytics events older than 13 months become monthly counts per credential, kind and channel
 * (credential_event_months) and the events themselves are deleted, in one statement, so totals stay
 * whole while the when and the verdict of each old event go.
 */
export const credentialEventsRule: RetentionRule = {
  key: 'credentials.aggregate-events',
  action: 'aggregate',
  what: 'credential analytics events (views, downloads, verifications), folded into monthly counts',
  from: 'the event',
  period: { months: 13 },
  async apply(db, { isPastCutoff, dryRun }) {
    const where = isPastCutoff(credentialEvents.occurredAt)
    if (dryRun) return countRows(db, credentialEvents, where)
    const result = await db.execute<{ moved: number }>(sql`
      with moved as (delete from credential_events where ${where} returning org_id, credential_id, achievement_id, kind, channel, occurred_at),
      folded as (
        insert into credential_event_months (org_id, credential_id, achievement_id, kind, channel, month, total)
        select org_id, credential_id, achievement_id, kind, channel, date_trunc('month', occurred_at at time zone 'UTC')::date, count(*)
          from moved group by 1, 2, 3, 4, 5, 6
        on conflict (credential_id, kind, channel, month) do update set total = credential_event_months.total + excluded.total
      )
      select count(*)::int as moved from moved`)
    return result.rows[0]?.moved ?? 0
  },
}
