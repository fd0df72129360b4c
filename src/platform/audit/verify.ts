import { asc, gt, isNull } from 'drizzle-orm'
import type { HmacSha256 } from '../crypto/hashing.ts'
import type { Db } from '../db/client.ts'
import type { Platform } from '../platform.ts'
import { type AuditCheckpoint, InvalidCheckpointError } from './checkpoint.ts'
import { chainHash, GENESIS_HASH, isAuthentic } from './log.ts'
import { retentionPolicyProblem } from './retention.ts'
import { auditEntries } from './schema.ts'

export type AuditVerdict =
  | { ok: true; entries: number; checkpoint: AuditCheckpoint | undefined }
  | { ok: false; entries: number; problem: 'edited' | 'deleted' | 'inserted'; entryId: string; chainIndex: number | null; detail: string }
  | { ok: false; entries: number; problem: 'truncated' | 'rewritten' | 'unanchored'; detail: string }

const PAGE = 5000

/**
 * Verifies the audit log against its checkpoint file: the chain, then the checkpoint's entry in it.
 * A log with entries but no checkpoint file is `unanchored`, since its end could have been cut off.
 */
export async function verifyAuditLog(platform: Pick<Platform, 'db' | 'audit' | 'auditKey' | 'auditCheckpoint' | 'clock'>): Promise<AuditVerdict> {
  await platform.audit.flush()
  const { path } = platform.auditCheckpoint
  let checkpoint: AuditCheckpoint | undefined
  try {
    checkpoint = await platform.auditCheckpoint.read()
  } catch (error) {
    if (error instanceof InvalidCheckpointError) return { ok: false, entries: 0, problem: 'unanchored', detail: error.message }
    throw error
  }
  const verdict = await verifyAuditChain(platform.db, platform.auditKey, checkpoint, platform.clock.now())
  if (verdict.ok && !checkpoint && verdict.entries > 0) {
    return { ok: false, entries: verdict.entries, problem: 'unanchored', detail: `there is no checkpoint file at ${path}` }
  }
  return verdict
}

/**
 * Walks the chain from the start; reports the first entry that was edited, inserted or deleted (an
 * entry pruned or anonymised against the retention policy counts as edited: see retention.ts), then
 * whether the chain still holds the entry `checkpoint` names: if not, it was truncated or rewritten.
 */
export async function verifyAuditChain(db: Db, key: HmacSha256, checkpoint: AuditCheckpoint | undefined, now = new Date()): Promise<AuditVerdict> {
  const named = `the checkpoint of ${checkpoint?.at}`
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
      if (!isAuthentic(key, row)) {
        return { ok: false, entries: checked, problem: 'edited', entryId: row.id, chainIndex: index, detail: 'its content no longer matches its MAC' }
      }
      const policyProblem = retentionPolicyProblem(row, now)
      if (policyProblem) return { ok: false, entries: checked, problem: 'edited', entryId: row.id, chainIndex: index, detail: policyProblem }
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
      if (index === 1 && checkpoint && row.hash !== checkpoint.firstHash) {
        return { ok: false, entries: checked, problem: 'rewritten', detail: `its first entry is not the one ${named} recorded: a new chain replaced it` }
      }
      if (index === checkpoint?.index && row.hash !== checkpoint.hash) {
        return {
          ok: false,
          entries: checked,
          problem: 'rewritten',
          detail: `entry #${index} is not the one ${named} recorded: entries up to it were cut off and written on, or replaced`,
        }
      }
      prevHash = row.hash
      expectedIndex++
      checked++
    }
  }
  if (checkpoint && checked < checkpoint.index) {
    const deleted = checked === 0 ? 'every entry was' : `entries #${checked + 1}..#${checkpoint.index} were`
    return { ok: false, entries: checked, problem: 'truncated', detail: `${named} names entry #${checkpoint.index}, but ${deleted} deleted` }
  }
  const unchained = await db.select().from(auditEntries).where(isNull(auditEntries.chainIndex))
  for (const row of unchained) {
    if (row.prunedAt || !isAuthentic(key, row)) {
      return { ok: false, entries: checked, problem: 'inserted', entryId: row.id, chainIndex: null, detail: 'it was not written by Laurel (bad MAC)' }
    }
  }
  return { ok: true, entries: checked, checkpoint }
}

/** One sentence for the operator: what holds, or what was done to the log. */
export function describeAuditVerdict(verdict: AuditVerdict): string {
  if (verdict.ok) {
    const anchor = verdict.checkpoint ? `, including #${verdict.checkpoint.index} of the checkpoint of ${verdict.checkpoint.at}` : ''
    return `The audit chain is intact: ${verdict.entries} entries checked${anchor}.`
  }
  if ('entryId' in verdict) {
    return `The audit chain is broken at entry ${verdict.entryId}${verdict.chainIndex ? ` (#${verdict.chainIndex})` : ''}: it was ${verdict.problem}; ${verdict.detail}.`
  }
  return verdict.problem === 'unanchored'
    ? `The audit log cannot be checked for truncation: ${verdict.detail}.`
    : `The audit log was ${verdict.problem}: ${verdict.detail}.`
}
