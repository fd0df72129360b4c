import { sql } from 'drizzle-orm'
import { bigint, bigserial, index, jsonb, pgTable, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'

/**
 * Append-only, hash-chained audit log. `mac` authenticates an entry's content when it is written;
 * `hash` chains it: HMAC(previous hash + mac), assigned in `chainIndex` order by whichever process
 * holds the chain lock. Entries written inside a caller's transaction are chained right after commit.
 *
 * Retention changes two kinds of entries without breaking the chain (see retention.ts for the rules
 * and verify.ts for the checks): the IP address and browser of any entry are anonymised after a
 * while, and page and API request entries are pruned to tombstones after their period. `format` 2
 * (every entry written since) makes both verifiable; format-1 entries keep their address until pruned.
 */
export const auditEntries = pgTable(
  'audit_entries',
  {
    seq: bigserial({ mode: 'number' }).primaryKey(),
    id: text().notNull(),
    recordedAt: timestamp({ withTimezone: true }).notNull(),
    orgId: text(),
    actorAccountId: text(),
    action: text().notNull(),
    target: text(),
    data: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    ip: text(),
    userAgent: text(),
    mac: text().notNull(),
    chainIndex: bigint({ mode: 'number' }),
    prevHash: text(),
    hash: text(),
    /**
     * 1: the MAC covers the content with `ip` and `userAgent`. 2: the MAC covers `action`,
     * `recordedAt` and a SHA-256 of the content, in which `personalDigest` stands for `ip` and `userAgent`.
     */
    format: smallint().notNull().default(1),
    /**
     * Format 2: `personalDigest` is SHA-256 of this random salt with `ip` and `userAgent`. Anonymising
     * nulls all three: the digest alone, unsalted by anything anyone still holds, reveals nothing.
     */
    personalSalt: text(),
    personalDigest: text(),
    /** Set when retention pruned the entry to a tombstone: only its place in the chain, action and time remain. */
    prunedAt: timestamp({ withTimezone: true }),
    /** A format-2 tombstone's SHA-256 of the content it had, so its MAC still proves its action and time. */
    contentDigest: text(),
  },
  (table) => [
    // Every signed-in request writes an entry, so each index here costs on every request: none on `id`
    // (nothing looks entries up by it; the chain proves them), and the org index skips the entries of
    // no org (most page requests).
    uniqueIndex('audit_entries_chain_index_idx').on(table.chainIndex),
    index('audit_entries_org_recorded_idx').on(table.orgId, table.recordedAt).where(sql`org_id is not null`),
    index('audit_entries_unchained_idx').on(table.seq).where(sql`chain_index is null`),
  ],
)
