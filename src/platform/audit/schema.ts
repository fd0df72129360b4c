import { sql } from 'drizzle-orm'
import { bigint, bigserial, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'

/**
 * Append-only, hash-chained audit log. `mac` authenticates an entry's content when it is written;
 * `hash` chains it: HMAC(previous hash + mac), assigned in `chainIndex` order by whichever process
 * holds the chain lock. Entries written inside a caller's transaction are chained right after commit.
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
