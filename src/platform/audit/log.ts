import { hash, hkdfSync } from 'node:crypto'
import { and, asc, desc, eq, gt, isNotNull, isNull, sql } from 'drizzle-orm'
import { type Clock, systemClock } from '../clock.ts'
import { HmacSha256 } from '../crypto/hashing.ts'
import type { Db } from '../db/client.ts'
import { newId, randomSixteenBytes } from '../ids.ts'
import type { CheckpointFile } from './checkpoint.ts'
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

export type AuditRow = typeof auditEntries.$inferSelect
type EntryContent = Omit<
  AuditRow,
  'seq' | 'mac' | 'chainIndex' | 'prevHash' | 'hash' | 'format' | 'personalSalt' | 'personalDigest' | 'prunedAt' | 'contentDigest'
>
type EntryContentV2 = Omit<EntryContent, 'ip' | 'userAgent'> & { personalDigest: string | null }

/**
 * An entry ready to write: its canonical content (a JSON object whose keys are the row's fields), the
 * row's other fields as JSON members (`,"ip":…`), and the MAC.
 */
interface PreparedEntry {
  content: string
  otherFields: string
  mac: string
}

interface ChainLink {
  chainIndex: number
  prevHash: string
  hash: string
}

const CHAIN_LOCK = 7_340_002
const FLUSH_INTERVAL_MS = 200
// Each batch is a transaction of five statements. At 7,000 signed-in requests a second, batches of at
// most 500 put the audit cost in bench/http at 15–23 %; of 2,000 (about 1 MB), at 15–17.5 %.
const MAX_BUFFER = 2000
const CHAIN_BATCH = 1000
// Entries cut off the end of the log within this time of the last checkpoint go unnoticed; a checkpoint
// is one small file written and synced, so this could be shorter at little cost.
const CHECKPOINT_INTERVAL_MS = 10_000

/**
 * The key that authenticates audit entries (`chain`) or checkpoints (`checkpoint`), derived from the
 * master key so a database dump alone cannot forge them.
 */
export function deriveAuditKey(masterKey: Buffer, purpose: 'chain' | 'checkpoint'): HmacSha256 {
  return new HmacSha256(Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `laurel audit ${purpose} v1`, 32)))
}

/**
 * The bytes an entry's MAC covers: canonicalJson of its content, written out by hand for this fixed
 * shape (keys already in sorted order) because it runs for every request; audit.test.ts proves it
 * equal to the general form.
 */
export function canonicalContent(entry: EntryContent): string {
  return `{"action":${JSON.stringify(entry.action)},"actorAccountId":${JSON.stringify(entry.actorAccountId ?? null)},"data":${canonicalJson(entry.data)},"id":${JSON.stringify(entry.id)},"ip":${JSON.stringify(entry.ip ?? null)},"orgId":${JSON.stringify(entry.orgId ?? null)},"recordedAt":"${entry.recordedAt.toISOString()}","target":${JSON.stringify(entry.target ?? null)},"userAgent":${JSON.stringify(entry.userAgent ?? null)}}`
}

/** Format 2's content: as format 1's, with `personalDigest` in place of `ip` and `userAgent`. */
export function canonicalContentV2(entry: EntryContentV2): string {
  return `{"action":${JSON.stringify(entry.action)},"actorAccountId":${JSON.stringify(entry.actorAccountId ?? null)},"data":${canonicalJson(entry.data)},"id":${JSON.stringify(entry.id)},"orgId":${JSON.stringify(entry.orgId ?? null)},"personalDigest":${JSON.stringify(entry.personalDigest ?? null)},"recordedAt":"${entry.recordedAt.toISOString()}","target":${JSON.stringify(entry.target ?? null)}}`
}

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex')
}

/** What stands for an entry's IP address and browser in its MAC; with the salt gone it reveals nothing. */
export function personalDigestOf(salt: string, ip: string | null, userAgent: string | null): string {
  return sha256Hex(JSON.stringify([salt, ip, userAgent]))
}

/**
 * What a format-2 MAC covers: the action and time in the clear, the rest as a digest, so a tombstone
 * (which keeps the digest) still proves what it was and when.
 */
export function macInputV2(action: string, recordedAt: Date, contentDigest: string): string {
  // JSON.stringify(['v2', action, recordedAt.toISOString(), contentDigest]), written out: the time and
  // the hex digest need no escaping, and building the array cost as much as the hash (every request).
  return `["v2",${JSON.stringify(action)},"${recordedAt.toISOString()}","${contentDigest}"]`
}

/**
 * Whether the row is as Laurel wrote it, or as retention left it: anonymised (IP address, browser and
 * salt all gone, the digest kept) or pruned to a tombstone. A format-1 tombstone cannot be checked
 * (its MAC covered what was pruned): only its place in the chain and the verifier's policy check hold it.
 */
export function isAuthentic(key: HmacSha256, row: AuditRow): boolean {
  if (row.format === 1) return row.prunedAt !== null || key.hex(canonicalContent(row)) === row.mac
  if (row.prunedAt) return row.contentDigest !== null && key.hex(macInputV2(row.action, row.recordedAt, row.contentDigest)) === row.mac
  const isPersonalIntact =
    row.personalSalt === null ? row.ip === null && row.userAgent === null : personalDigestOf(row.personalSalt, row.ip, row.userAgent) === row.personalDigest
  return isPersonalIntact && key.hex(macInputV2(row.action, row.recordedAt, sha256Hex(canonicalContentV2(row)))) === row.mac
}

/** JSON with object keys sorted (by UTF-16 code units) and undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) {
    let items = ''
    for (const [i, item] of value.entries()) items += `${i === 0 ? '' : ','}${canonicalJson(item)}`
    return `[${items}]`
  }
  const record = value as Record<string, unknown>
  let members = ''
  for (const key of Object.keys(record).sort()) {
    if (record[key] === undefined) continue
    members += `${members === '' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(record[key])}`
  }
  return `{${members}}`
}

export function chainHash(key: HmacSha256, prevHash: string, mac: string): string {
  return key.hex(`${prevHash}\n${mac}`)
}

/** An entry as a row for `insertRows`: its content plus its MAC and, once chained, its link. */
function rowJson({ content, otherFields, mac }: PreparedEntry, link?: ChainLink): string {
  const chain = link ? `,"chainIndex":${link.chainIndex},"prevHash":"${link.prevHash}","hash":"${link.hash}"` : ''
  return `${content.slice(0, -1)}${otherFields},"mac":"${mac}"${chain}}`
}

/**
 * Inserts rows made by `rowJson`, all through one JSON parameter: building and binding 16
 * parameters a row cost more than the insert itself.
 */
async function insertRows(tx: Db, rows: string[]): Promise<void> {
  await tx.execute(sql`insert into audit_entries (id, recorded_at, org_id, actor_account_id, action, target, data, ip, user_agent, format, personal_salt, personal_digest, mac, chain_index, prev_hash, hash)
    select id, "recordedAt", "orgId", "actorAccountId", action, target, data, ip, "userAgent", format, "personalSalt", "personalDigest", mac, "chainIndex", "prevHash", hash
    from json_to_recordset(${`[${rows.join(',')}]`}::json) as entry(id text, "recordedAt" timestamptz, "orgId" text, "actorAccountId" text, action text, target text, data jsonb, ip text, "userAgent" text, format smallint, "personalSalt" text, "personalDigest" text, mac text, "chainIndex" bigint, "prevHash" text, hash text)`)
}

export const GENESIS_HASH = '0'.repeat(64)

async function hashAt(db: Db, chainIndex: number): Promise<string | null | undefined> {
  const [entry] = await db.select({ hash: auditEntries.hash }).from(auditEntries).where(eq(auditEntries.chainIndex, chainIndex))
  return entry?.hash
}

/** Where and when an AuditLog writes checkpoints of the chain's head. */
export interface CheckpointWriting {
  file: CheckpointFile
  clock: Clock
}

/**
 * Writes audit entries. High-volume entries (requests, sign-in attempts) are buffered and written in
 * batches; `recordIn(tx, …)` writes inside the caller's transaction so an admin action and its entry
 * commit together. Appends are serialised across processes by an advisory lock held while chaining.
 * With `checkpoints`, a flush also writes a checkpoint of the chain's head when the last one is
 * CHECKPOINT_INTERVAL_MS old, and `close()` always does.
 */
export class AuditLog {
  private buffer: PreparedEntry[] = []
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()
  private hasUnchained = true
  private nextCheckpointAt = 0
  private hasSeenCheckpoint = false

  constructor(
    private readonly db: Db,
    private readonly key: HmacSha256,
    private readonly onError: (error: unknown) => void = () => {},
    private readonly checkpoints?: CheckpointWriting,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Buffers an entry; it is written within FLUSH_INTERVAL_MS. */
  record(input: AuditInput): void {
    this.buffer.push(this.prepare(input))
    if (this.buffer.length >= MAX_BUFFER) void this.flush()
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS)
  }

  /** Writes an entry in the caller's transaction; it joins the chain after that transaction commits. */
  async recordIn(tx: Db, input: AuditInput): Promise<void> {
    await insertRows(tx, [rowJson(this.prepare(input))])
    this.hasUnchained = true
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS)
  }

  /** Writes everything buffered and chains every committed entry. */
  flush(): Promise<void> {
    return this.queueFlush(false)
  }

  /** Writes everything buffered, then a checkpoint of the chain's head whatever the interval. */
  checkpoint(): Promise<void> {
    return this.queueFlush(true)
  }

  private queueFlush(isCheckpointForced: boolean): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    this.flushing = this.flushing
      .then(() => this.writeAndChain())
      .then(() => this.checkpointIfDue(isCheckpointForced))
      .catch(this.onError)
    return this.flushing
  }

  /** A format-2 entry (see schema.ts). */
  private prepare(input: AuditInput): PreparedEntry {
    const recordedAt = this.clock.now()
    const ip = input.ip ?? null
    const userAgent = input.userAgent ?? null
    const personalSalt = ip === null && userAgent === null ? null : randomSixteenBytes().toString('hex')
    const content = canonicalContentV2({
      id: newId('aud'),
      recordedAt,
      orgId: input.orgId ?? null,
      actorAccountId: input.actorAccountId ?? null,
      action: input.action,
      target: input.target ?? null,
      data: input.data ?? {},
      personalDigest: personalSalt === null ? null : personalDigestOf(personalSalt, ip, userAgent),
    })
    const otherFields = `,"format":2,"ip":${JSON.stringify(ip)},"userAgent":${JSON.stringify(userAgent)},"personalSalt":${JSON.stringify(personalSalt)}`
    return { content, otherFields, mac: this.key.hex(macInputV2(input.action, recordedAt, sha256Hex(content))) }
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

  /** Takes the chain lock for the rest of the transaction and reads the chain's newest entry. */
  private async lockChainHead(tx: Db): Promise<{ chainIndex: number | null; hash: string | null } | undefined> {
    await tx.execute(sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`)
    const [head] = await tx
      .select({ chainIndex: auditEntries.chainIndex, hash: auditEntries.hash })
      .from(auditEntries)
      .where(isNotNull(auditEntries.chainIndex))
      .orderBy(desc(auditEntries.chainIndex))
      .limit(1)
    return head
  }

  private async appendToChain(pending: PreparedEntry[], shouldChainExisting: boolean): Promise<void> {
    await this.db.transaction(async (tx) => {
      const tail = await this.lockChainHead(tx)
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
            if (!isAuthentic(this.key, row)) {
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
          const link = { chainIndex: ++index, prevHash, hash: chainHash(this.key, prevHash, entry.mac) }
          prevHash = link.hash
          return rowJson(entry, link)
        })
        await insertRows(tx, rows)
      }
    })
  }

  private async checkpointIfDue(isForced: boolean): Promise<void> {
    if (!this.checkpoints) return
    const now = this.checkpoints.clock.now()
    if (!isForced && now.getTime() < this.nextCheckpointAt) return
    this.nextCheckpointAt = now.getTime() + CHECKPOINT_INTERVAL_MS
    // An empty chain has nothing to anchor yet: the first entries get their checkpoint at the next flush.
    if (!(await this.writeCheckpoint(this.checkpoints.file, now))) this.nextCheckpointAt = 0
  }

  /**
   * Moves the checkpoint to the chain's head, under the chain lock so processes sharing the file take
   * turns. It only ever moves forward along the same chain: when the table no longer holds the entry the
   * file names, or a file this process has seen is gone, it stays as it is (the evidence) and this throws.
   * Returns false when the chain is empty.
   */
  private writeCheckpoint(file: CheckpointFile, now: Date): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const head = await this.lockChainHead(tx)
      const current = await file.read()
      if (!current && this.hasSeenCheckpoint) {
        throw new Error(`The audit checkpoint ${file.path} has disappeared; this process writes no new one. Run "laurel audit verify".`)
      }
      if (current && (await hashAt(tx, current.index)) !== current.hash) {
        throw new Error(`The audit log no longer holds entry #${current.index} as its checkpoint recorded it; the checkpoint stays. Run "laurel audit verify".`)
      }
      this.hasSeenCheckpoint ||= current !== undefined
      const firstHash = current?.firstHash ?? (await hashAt(tx, 1))
      if (!head?.chainIndex || !head.hash || !firstHash) return false
      if (head.chainIndex === current?.index) return true
      await file.write({ index: head.chainIndex, hash: head.hash, firstHash, at: now.toISOString() })
      this.hasSeenCheckpoint = true
      return true
    })
  }

  async close(): Promise<void> {
    this.hasUnchained = true
    await this.checkpoint()
  }
}
