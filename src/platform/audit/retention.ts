import { and, asc, eq, gt, inArray, isNotNull, isNull, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import type { RetentionRule } from '../privacy/registry.ts'
import { countRows } from '../privacy/retention.ts'
import { canonicalContentV2, sha256Hex } from './log.ts'
import { auditEntries } from './schema.ts'

/**
 * How retention changes the hash-chained audit log without breaking `laurel audit verify`:
 *
 * - Pruning (request entries after a year): the row stays as a tombstone. It keeps its place in the
 *   chain (`seq`, `chain_index`, `mac`, `prev_hash`, `hash`), its `id`, `action` and `recorded_at`;
 *   everything else is nulled and `pruned_at` set. A format-2 tombstone also keeps the SHA-256 of the
 *   content it had (`content_digest`), which its MAC covers with the action and time, so editing a
 *   tombstone's action or time is still detected. The verifier checks every tombstone's chain link and
 *   flags one whose action is not in PRUNABLE_ACTIONS or that is younger than REQUEST_ENTRY_DAYS.
 * - Anonymising (every entry's IP address and browser after IP_ADDRESS_DAYS): a format-2 MAC covers a
 *   salted digest of them instead of the values, so nulling the values and the salt keeps the entry
 *   verifiable, and the digest, its salt gone, reveals nothing. The verifier flags an entry anonymised
 *   sooner. Format-1 entries (written before format 2) keep their address until they are pruned whole.
 */
export const PRUNABLE_ACTIONS = ['http.page_request', 'http.api_request']
export const REQUEST_ENTRY_DAYS = 365
export const IP_ADDRESS_DAYS = 90

const DAY_MS = 24 * 3600_000
const BATCH = 1000

/** Why this row breaks the retention policy (pruned or anonymised when it should not be), if it does. */
export function retentionPolicyProblem(row: typeof auditEntries.$inferSelect, now: Date): string | undefined {
  const ageDays = (now.getTime() - row.recordedAt.getTime()) / DAY_MS
  if (row.prunedAt) {
    if (!PRUNABLE_ACTIONS.includes(row.action)) return `it was pruned, but ${row.action} entries are never pruned`
    if (ageDays < REQUEST_ENTRY_DAYS) return `it was pruned before its ${REQUEST_ENTRY_DAYS} days`
  } else if (row.format === 2 && row.personalDigest !== null && row.personalSalt === null && ageDays < IP_ADDRESS_DAYS) {
    return `its IP address and browser were removed before its ${IP_ADDRESS_DAYS} days`
  }
  return undefined
}

export const requestEntriesRule: RetentionRule = {
  key: 'audit.request-entries',
  action: 'delete',
  what: 'page and API request entries (a tombstone keeps their place in the chain, action and time)',
  from: 'the request',
  period: { days: REQUEST_ENTRY_DAYS },
  async apply(db, { now, isPastCutoff, dryRun }) {
    const where = and(
      inArray(auditEntries.action, PRUNABLE_ACTIONS),
      isNull(auditEntries.prunedAt),
      isNotNull(auditEntries.chainIndex),
      isPastCutoff(auditEntries.recordedAt),
    )
    if (dryRun) return countRows(db, auditEntries, where)
    return pruneEntries(db, where, now)
  },
}

async function pruneEntries(db: Db, where: ReturnType<typeof and>, now: Date): Promise<number> {
  let pruned = 0
  let afterSeq = 0
  for (;;) {
    const rows = await db
      .select()
      .from(auditEntries)
      .where(and(where, gt(auditEntries.seq, afterSeq)))
      .orderBy(asc(auditEntries.seq))
      .limit(BATCH)
    if (rows.length === 0) return pruned
    afterSeq = rows.at(-1)?.seq ?? afterSeq
    const values = rows.map((row) => sql`(${row.seq}::bigint, ${row.format === 2 ? sha256Hex(canonicalContentV2(row)) : null})`)
    await db.execute(sql`update audit_entries as entry
      set org_id = null, actor_account_id = null, target = null, data = '{}'::jsonb, ip = null, user_agent = null,
          personal_salt = null, personal_digest = null, pruned_at = ${now.toISOString()}::timestamptz, content_digest = v.content_digest
      from (values ${sql.join(values, sql`, `)}) as v(seq, content_digest) where entry.seq = v.seq`)
    pruned += rows.length
  }
}

export const ipAddressesRule: RetentionRule = {
  key: 'audit.ip-addresses',
  action: 'anonymise',
  what: 'the IP address and browser of audit entries',
  from: 'the entry’s time',
  period: { days: IP_ADDRESS_DAYS },
  async apply(db, { isPastCutoff, dryRun }) {
    const where = and(eq(auditEntries.format, 2), isNotNull(auditEntries.personalSalt), isNull(auditEntries.prunedAt), isPastCutoff(auditEntries.recordedAt))
    if (dryRun) return countRows(db, auditEntries, where)
    const result = await db.update(auditEntries).set({ ip: null, userAgent: null, personalSalt: null }).where(where)
    return result.rowCount ?? 0
  },
}
