import { and, inArray, isNotNull, isNull, not, or, sql } from 'drizzle-orm'
import type { RetentionRule } from '../../platform/privacy/registry.ts'
import { countRows } from '../../platform/privacy/retention.ts'
import { findAccountByVerifiedEmail, verifiedAddressesOf } from '../identity/service.ts'
import { worksForAnOrg } from '../orgs/service.ts'
import { credentialEvents, credentials } from './schema.ts'

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

/**
 * An account holding credentials, every one of which expired or was revoked more than 6 months ago
 * (under any of its verified addresses, not counting erased ones), is erased but for its ID, its org
 * memberships and what other features keep for it (CE records), and disabled (see `keepsAccount`);
 * staff of an org and platform administrators are left alone.
 */
export const lapsedCertificationsRule: RetentionRule = {
  key: 'credentials.lapsed-holders',
  action: 'disable',
  what: 'accounts (not staff) whose certifications all expired or were revoked, wiped and disabled (the member ID and CE records stay)',
  from: 'the expiry or revocation of their last certification',
  period: { months: 6 },
  async apply(db, { isPastCutoff, dryRun, erase }) {
    const isLapsed = or(
      and(isNotNull(credentials.validUntil), isPastCutoff(credentials.validUntil)),
      and(isNotNull(credentials.revokedAt), isPastCutoff(credentials.revokedAt)),
    )
    const lapsedHolders = await db
      .selectDistinct({ email: credentials.recipientEmail })
      .from(credentials)
      .where(and(isNull(credentials.erasedAt), isNotNull(credentials.recipientEmail), isLapsed))
    const toDisable = new Map<string, string>()
    for (const { email } of lapsedHolders) {
      const account = email ? await findAccountByVerifiedEmail(db, email) : undefined
      if (!account || account.disabledAt || toDisable.has(account.id)) continue
      // Staff and administrators keep their accounts: they run an organisation, whatever they hold themselves.
      if (account.isPlatformAdmin || (await worksForAnOrg(db, account.id))) continue
      const [current] = await db
        .select({ id: credentials.id })
        .from(credentials)
        .where(and(inArray(credentials.recipientEmail, await verifiedAddressesOf(db, account.id)), isNull(credentials.erasedAt), not(isLapsed ?? sql`false`)))
        .limit(1)
      if (!current) toDisable.set(account.id, account.email)
    }
    if (!dryRun) for (const [accountId, email] of toDisable) await erase({ accountId, email, keepsAccount: true })
    return toDisable.size
  },
}
