import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto'
import { and, asc, desc, gt, isNotNull, isNull, sql } from 'drizzle-orm'
import { hmacHex } from '../crypto/hashing.ts'
import type { Db } from '../db/client.ts'
import { newId } from '../ids.ts'
import { auditEntries } from './schema.ts'

export interface AuditInput {
  action: string
  orgId?: string | null
  actorAccountId?: string | null
  target?: string | null
  data?: Record<string, unknown>
  ip?: string | null
  userAgent?: string | null
}

type EntryContent = Omit<typeof auditEntries.$inferSelect, 'seq' | 'mac' | 'chainIndex' | 'prevHash' | 'hash'>

const CHAIN_LOCK = 7_340_002
const FLUSH_INTERVAL_MS = 200
const MAX_BUFFER = 500
const CHAIN_BATCH = 1000

/** The key that authenticates audit entries, derived from the master key so a database dump alone cannot forge them. */
export function deriveAuditKey(masterKey: Buffer): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'laurel audit chain v1', 32)))
}

/**
 * The bytes an entry's MAC covers: canonicalJson of its content, written out by hand for this fixed
 * shape (keys already in sorted order) because it runs for every request; audit.test.ts proves it
 * equal to the general form.
 */
export function canonicalContent(entry: EntryContent): string {
  const field = (value: string | null | undefined) => JSON.stringify(value ?? null)
  return `{"action":${field(entry.action)},"actorAccountId":${field(entry.actorAccountId)},"data":${canonicalJson(entry.data)},"id":${field(entry.id)},"ip":${field(entry.ip)},"orgId":${field(entry.orgId)},"recordedAt":${field(entry.recordedAt.toISOString())},"target":${field(entry.target)},"userAgent":${field(entry.userAgent)}}`
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
}

export function chainHash(key: KeyObject, prevHash: string, mac: string): string {
  return hmacHex(key, `${prevHash}\n${mac}`)
}

export const GENESIS_HASH = '0'.repeat(64)

/**
 * Writes audit entries. High-volume entries (requests, sign-in attempts) are buffered and written in
 * batches; `recordIn(tx, …)` writes inside the caller's transaction so an admin action and its entry
 * commit together. Appends are serialised across processes by an advisory lock held while chaining.
 */
export class AuditLog {
  private buffer: (typeof auditEntries.$inferInsert)[] = []
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()
  private hasUnchained = true

  constructor(
    private readonly db: Db,
    private readonly key: KeyObject,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Buffers an entry; it is written within FLUSH_INTERVAL_MS. */
  record(input: AuditInput): void {
    this.buffer.push(this.prepare(input))
    if (this.buffer.length >= MAX_BUFFER) void this.flush()
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS)
  }

  /** Writes an entry in the caller's transaction; it joins the chain after that transaction commits. */
  async recordIn(tx: Db, input: AuditInput): Promise<void> {
    await tx.insert(auditEntries).values(this.prepare(input))
    this.hasUnchained = true
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS)
  }

  /** Writes everything buffered and chains every committed entry. */
  flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    this.flushing = this.flushing.then(() => this.writeAndChain()).catch(this.onError)
    return this.flushing
  }

  private prepare(input: AuditInput): typeof auditEntries.$inferInsert {
    const content: EntryContent = {
      id: newId('aud'),
      recordedAt: new Date(),
      orgId: input.orgId ?? null,
      actorAccountId: input.actorAccountId ?? null,
      action: input.action,
      target: input.target ?? null,
      data: input.data ?? {},
      ip: input.ip ?? null,
      userAgent: input.userAgent ?? null,
    }
    return { ...content, mac: hmacHex(this.key, canonicalContent(content)) }
  }

  private async writeAndChain(): Promise<void> {
    const pending = this.buffer
    this.buffer = []
    if (pending.length === 0 && !this.hasUnchained) return
    const shouldChainExisting = this.hasUnchained
    this.hasUnchained = false
    try {
      await this.appendToChain(pending, shouldChainExisting)
    } catch (error) {
      this.buffer = [...pending, ...this.buffer]
      this.hasUnchained ||= shouldChainExisting
      throw error
    }
  }

  private async appendToChain(pending: (typeof auditEntries.$inferInsert)[], shouldChainExisting: boolean): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`)
      const [tail] = await tx
        .select({ chainIndex: auditEntries.chainIndex, hash: auditEntries.hash })
        .from(auditEntries)
        .where(isNotNull(auditEntries.chainIndex))
        .orderBy(desc(auditEntries.chainIndex))
        .limit(1)
      let index = tail?.chainIndex ?? 0
      let prevHash = tail?.hash ?? GENESIS_HASH

      if (shouldChainExisting) {
        let afterSeq = 0
        for (;;) {
          const rows = await tx
            .select()
            .from(auditEntries)
            .where(and(isNull(auditEntries.chainIndex), gt(auditEntries.seq, afterSeq)))
            .orderBy(asc(auditEntries.seq))
            .limit(CHAIN_BATCH)
          if (rows.length === 0) break
          afterSeq = rows.at(-1)?.seq ?? afterSeq
          const updates = []
          for (const row of rows) {
            // A row that Laurel did not write (no valid MAC) is never chained: verification reports it.
            if (hmacHex(this.key, canonicalContent(row)) !== row.mac) {
              this.onError(new Error(`Audit entry ${row.id} has an invalid MAC and was not chained.`))
              continue
            }
            index++
            const hash = chainHash(this.key, prevHash, row.mac)
            updates.push(sql`(${row.seq}::bigint, ${index}::bigint, ${prevHash}, ${hash})`)
            prevHash = hash
          }
          if (updates.length === 0) continue
          await tx.execute(sql`update audit_entries as entry set chain_index = v.chain_index, prev_hash = v.prev_hash, hash = v.hash
            from (values ${sql.join(updates, sql`, `)}) as v(seq, chain_index, prev_hash, hash) where entry.seq = v.seq`)
        }
      }

      if (pending.length > 0) {
        const rows = pending.map((entry) => {
          index++
          const hash = chainHash(this.key, prevHash, entry.mac)
          const row = { ...entry, chainIndex: index, prevHash, hash }
          prevHash = hash
          return row
        })
        // One JSON parameter instead of 13 per row: building and binding thousands of parameters cost
        // more than the insert itself.
        await tx.execute(sql`insert into audit_entries (id, recorded_at, org_id, actor_account_id, action, target, data, ip, user_agent, mac, chain_index, prev_hash, hash)
          select id, "recordedAt", "orgId", "actorAccountId", action, target, data, ip, "userAgent", mac, "chainIndex", "prevHash", hash
          from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as entry(id text, "recordedAt" timestamptz, "orgId" text, "actorAccountId" text, action text, target text, data jsonb, ip text, "userAgent" text, mac text, "chainIndex" bigint, "prevHash" text, hash text)`)
      }
    })
  }

  async close(): Promise<void> {
    this.hasUnchained = true
    await this.flush()
  }
}
