import { asc, gt, isNull } from 'drizzle-orm'
import type { HmacSha256 } from '../crypto/hashing.ts'
import type { Db } from '../db/client.ts'
import { canonicalContent, chainHash, GENESIS_HASH } from './log.ts'
import { auditEntries } from './schema.ts'

export type AuditVerdict =
  | { ok: true; entries: number }
  | { ok: false; entries: number; problem: 'edited' | 'deleted' | 'inserted'; entryId: string; chainIndex: number | null; detail: string }

const PAGE = 5000

/** Walks the chain from the start; reports the first entry that was edited, inserted or deleted. */
export async function verifyAuditChain(db: Db, key: HmacSha256): Promise<AuditVerdict> {
  let expectedIndex = 1
  let prevHash = GENESIS_HASH
  let checked = 0
  for (;;) {
    const rows = await db
      .select()
      .from(auditEntries)
      .where(gt(auditEntries.chainIndex, expectedIndex - 1))
      .orderBy(asc(auditEntries.chainIndex))
      .limit(PAGE)
    if (rows.length === 0) break
    for (const row of rows) {
      const index = row.chainIndex ?? 0
      if (key.hex(canonicalContent(row)) !== row.mac) {
        return { ok: false, entries: checked, problem: 'edited', entryId: row.id, chainIndex: index, detail: 'its content no longer matches its MAC' }
      }
      if (index !== expectedIndex || row.prevHash !== prevHash) {
        const isGap = index > expectedIndex
        return {
          ok: false,
          entries: checked,
          problem: isGap ? 'deleted' : 'inserted',
          entryId: row.id,
          chainIndex: index,
          detail: isGap ? `entries ${expectedIndex}..${index - 1} before it are missing` : 'its previous-hash link does not match the entry before it',
        }
      }
      if (chainHash(key, prevHash, row.mac) !== row.hash) {
        return { ok: false, entries: checked, problem: 'edited', entryId: row.id, chainIndex: index, detail: 'its chain hash is wrong' }
      }
      prevHash = row.hash
      expectedIndex++
      checked++
    }
  }
  const unchained = await db.select().from(auditEntries).where(isNull(auditEntries.chainIndex))
  for (const row of unchained) {
    if (key.hex(canonicalContent(row)) !== row.mac) {
      return { ok: false, entries: checked, problem: 'inserted', entryId: row.id, chainIndex: null, detail: 'it was not written by Laurel (bad MAC)' }
    }
  }
  return { ok: true, entries: checked }
}
