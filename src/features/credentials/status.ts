import { createHash, randomInt } from 'node:crypto'
import { and, asc, count as countRows, eq, inArray, isNotNull, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/client.ts'
import { ConflictError, NotFoundError } from '../../platform/errors.ts'
import type { Platform } from '../../platform/platform.ts'
import { type OrgScope, requireRole } from '../orgs/service.ts'
import { type IssuerSigner, signerForDid } from './issuance/issuer.ts'
import { documentLoader } from './loader.ts'
import { getCredentials } from './queries.ts'
import { credentials, type StatusPurpose, statusLists } from './schema.ts'
import { signCredential } from './signing/sign.ts'
import { createStatusListCredential, STATUS_LIST_SIZE } from './signing/status-list.ts'
import { publicUrls } from './urls.ts'

export interface StatusSlot {
  revocationListId: string
  revocationIndex: number
  suspensionListId: string
  suspensionIndex: number
}

const PURPOSES: StatusPurpose[] = ['revocation', 'suspension']

/** Serialises slot allocation per org for the rest of the transaction (slots are taken when the credentials are inserted). */
export async function lockStatusAllocation(db: Db, orgId: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`laurel status slots ${orgId}`}))`)
}

/**
 * Takes `count` free slots in the org's revocation and suspension lists issued by the signer's DID
 * (a verifier requires the list's issuer to be the credential's: after a switch of DID method or a
 * did:key rotation, new lists are started and the old ones stay with the credentials that point at them). Indexes are drawn at
 * random, as the Bitstring Status List spec advises, so a credential's neighbours in the list say
 * nothing about it. Call inside a transaction after `lockStatusAllocation`.
 */
export async function allocateStatusSlots(platform: Platform, db: Db, orgId: string, count: number, signer: IssuerSigner): Promise<StatusSlot[]> {
  const byPurpose = {} as Record<StatusPurpose, { listId: string; index: number }[]>
  for (const purpose of PURPOSES) {
    const lists = await db
      .select({ id: statusLists.id, size: statusLists.size })
      .from(statusLists)
      .where(and(eq(statusLists.orgId, orgId), eq(statusLists.purpose, purpose), sql`${statusLists.document}->>'issuer' = ${signer.did}`))
      .orderBy(asc(statusLists.createdAt))
    const slots: { listId: string; index: number }[] = []
    for (let listNumber = 0; slots.length < count; listNumber++) {
      const list = lists[listNumber] ?? (await createStatusList(platform, db, orgId, purpose, signer))
      const taken = new TakenIndexes(db, purpose, list.id)
      const takenCount = await taken.count()
      if (takenCount >= list.size) continue
      const wanted = Math.min(list.size - takenCount, count - slots.length)
      for (const index of await pickFreeIndexes(list.size, taken, takenCount, wanted)) slots.push({ listId: list.id, index })
    }
    byPurpose[purpose] = slots
  }
  return byPurpose.revocation.map((revocation, i) => {
    const suspension = byPurpose.suspension[i]
    if (!suspension) throw new Error('Status slot allocation came up short.')
    return { revocationListId: revocation.listId, revocationIndex: revocation.index, suspensionListId: suspension.listId, suspensionIndex: suspension.index }
  })
}

/** The indexes credentials hold in one status list. */
class TakenIndexes {
  private readonly listColumn
  private readonly indexColumn

  constructor(
    private readonly db: Db,
    purpose: StatusPurpose,
    private readonly listId: string,
  ) {
    this.listColumn = purpose === 'revocation' ? credentials.revocationListId : credentials.suspensionListId
    this.indexColumn = purpose === 'revocation' ? credentials.revocationIndex : credentials.suspensionIndex
  }

  async count(): Promise<number> {
    const [row] = await this.db.select({ taken: countRows() }).from(credentials).where(eq(this.listColumn, this.listId))
    return row?.taken ?? 0
  }

  async all(): Promise<Set<number>> {
    const rows = await this.db.select({ index: this.indexColumn }).from(credentials).where(eq(this.listColumn, this.listId))
    return new Set(rows.map((row) => row.index))
  }

  async among(candidates: number[]): Promise<Set<number>> {
    const rows = await this.db
      .select({ index: this.indexColumn })
      .from(credentials)
      .where(and(eq(this.listColumn, this.listId), inArray(this.indexColumn, candidates)))
    return new Set(rows.map((row) => row.index))
  }
}

/** `wanted` distinct random indexes in [0, size) that no credential holds yet in the list. */
async function pickFreeIndexes(size: number, taken: TakenIndexes, takenCount: number, wanted: number): Promise<number[]> {
  if (takenCount + wanted < size / 2) {
    // Mostly empty: draw, and ask the database about the drawn indexes only (not every taken one,
    // which grows with the list); draw again for those taken, which stay rare.
    const picked = new Set<number>()
    while (picked.size < wanted) {
      const candidates = new Set<number>()
      while (candidates.size < wanted - picked.size) {
        const index = randomInt(size)
        if (!picked.has(index)) candidates.add(index)
      }
      const held = await taken.among([...candidates])
      for (const index of candidates) if (!held.has(index)) picked.add(index)
    }
    return [...picked]
  }
  // Mostly full: shuffle the free indexes.
  const held = await taken.all()
  const free = Array.from({ length: size }, (_, index) => index).filter((index) => !held.has(index))
  const picked: number[] = []
  for (let i = 0; i < wanted; i++) {
    const j = i + randomInt(free.length - i)
    ;[free[i], free[j]] = [free[j] ?? 0, free[i] ?? 0]
    picked.push(free[i] ?? 0)
  }
  return picked
}

async function createStatusList(platform: Platform, db: Db, orgId: string, purpose: StatusPurpose, signer: IssuerSigner) {
  const [list] = await db.insert(statusLists).values({ orgId, purpose, size: STATUS_LIST_SIZE }).returning()
  if (!list) throw new Error('The status list was not stored.')
  const document = await signStatusList(platform, list.id, purpose, [], signer)
  await db.update(statusLists).set({ document }).where(eq(statusLists.id, list.id))
  return { ...list, document }
}

async function signStatusList(platform: Platform, listId: string, purpose: StatusPurpose, setIndexes: number[], signer: IssuerSigner) {
  const unsigned = createStatusListCredential({
    id: publicUrls(platform.config).statusList(listId),
    issuerDid: signer.did,
    purpose,
    setIndexes,
    validFrom: platform.clock.now(),
  })
  return (await signCredential(unsigned, signer, documentLoader(platform))) as Record<string, unknown>
}

/** Rebuilds and re-signs a status list from its credentials' current state, so verifiers see a change at once. */
async function republishStatusList(platform: Platform, db: Db, listId: string): Promise<void> {
  const [list] = await db.select().from(statusLists).where(eq(statusLists.id, listId)).for('update')
  if (!list) throw new NotFoundError('status_list', listId)
  const isRevocation = list.purpose === 'revocation'
  const rows = await db
    .select({ index: isRevocation ? credentials.revocationIndex : credentials.suspensionIndex })
    .from(credentials)
    .where(
      and(
        eq(isRevocation ? credentials.revocationListId : credentials.suspensionListId, listId),
        isNotNull(isRevocation ? credentials.revokedAt : credentials.suspendedAt),
      ),
    )
  // Signed again by the DID that issued it, which its credentials name as their issuer.
  const signer = await signerForDid(platform, list.orgId, String(list.document?.issuer), db)
  const document = await signStatusList(
    platform,
    listId,
    list.purpose,
    rows.map((row) => row.index),
    signer,
  )
  await db.update(statusLists).set({ document, isStale: false }).where(eq(statusLists.id, listId))
}

export interface SerializedDocument {
  body: string
  etag: string
}

export function serializeDocument(document: Record<string, unknown>): SerializedDocument {
  const body = JSON.stringify(document)
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }
}

const publishedLists = new Map<string, SerializedDocument & { version: string }>()
const MAX_CACHED_LISTS = 1000

/**
 * The status list as served to verifiers. Each request reads only the row's version (PostgreSQL's
 * xmin, new with every update), so a change made by any instance shows at once; the body and its
 * ETag are kept per version.
 */
export async function publishedStatusList(platform: Platform, statusListId: string): Promise<SerializedDocument | undefined> {
  const version = sql<string>`xmin::text`
  const [row] = await platform.db.select({ version, isStale: statusLists.isStale }).from(statusLists).where(eq(statusLists.id, statusListId))
  if (!row) return undefined
  const cached = publishedLists.get(statusListId)
  if (cached && !row.isStale && cached.version === row.version) return cached
  if (row.isStale) await getStatusListDocument(platform, statusListId)
  const [current] = await platform.db.select({ version, document: statusLists.document }).from(statusLists).where(eq(statusLists.id, statusListId))
  if (!current?.document) return undefined
  const published = { ...serializeDocument(current.document), version: current.version }
  if (publishedLists.size >= MAX_CACHED_LISTS) publishedLists.delete(publishedLists.keys().next().value ?? '')
  publishedLists.set(statusListId, published)
  return published
}

/** The published status list, re-signed first if bits changed without a signer (see `isStale`). */
export async function getStatusListDocument(platform: Platform, statusListId: string): Promise<Record<string, unknown> | undefined> {
  const [list] = await platform.db
    .select({ document: statusLists.document, isStale: statusLists.isStale })
    .from(statusLists)
    .where(eq(statusLists.id, statusListId))
  if (!list?.isStale) return list?.document ?? undefined
  await platform.db.transaction((tx) => republishStatusList(platform, tx, statusListId))
  return getStatusListDocument(platform, statusListId)
}

async function changeStatus(
  platform: Platform,
  scope: OrgScope,
  credentialId: string,
  change: {
    action: string
    set: Partial<typeof credentials.$inferInsert>
    list: 'revocation' | 'suspension'
    check: (row: typeof credentials.$inferSelect) => void
  },
  /**
   * A transaction the change joins, whose caller calls `forgetStatusOf` once it commits; by
   * default the change runs in a transaction of its own, and forgets by itself.
   */
  db?: Db,
) {
  requireRole(scope, 'staff')
  const apply = async (tx: Db) => {
    const [row] = await tx
      .select()
      .from(credentials)
      .where(and(eq(credentials.orgId, scope.orgId), eq(credentials.id, credentialId)))
      .for('update')
    if (!row) throw new NotFoundError('credential', credentialId)
    change.check(row)
    const [updated] = await tx.update(credentials).set(change.set).where(eq(credentials.id, credentialId)).returning()
    await republishStatusList(platform, tx, change.list === 'revocation' ? row.revocationListId : row.suspensionListId)
    await platform.audit.recordIn(tx, {
      action: change.action,
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: credentialId,
      data: change.set.revocationReason ? { reason: change.set.revocationReason } : {},
    })
    if (!updated) throw new NotFoundError('credential', credentialId)
    return updated
  }
  if (db) return apply(db)
  const updated = await platform.db.transaction(apply)
  await forgetStatusOf(platform, updated)
  return updated
}

/**
 * Drops what is remembered of a credential's status (see `verifyById`), here and in every other
 * process: call once a change to its revocation, suspension or status lists has committed.
 */
export function forgetStatusOf(platform: Platform, credential: Pick<typeof credentials.$inferSelect, 'id' | 'revocationListId' | 'suspensionListId'>) {
  return platform.memo.forget(credential.id, credential.revocationListId, credential.suspensionListId)
}

/** Revocation is final: the credential's bit in the revocation list is set and stays set. */
export function revokeCredential(platform: Platform, scope: OrgScope, credentialId: string, reason: string, db?: Db) {
  return changeStatus(
    platform,
    scope,
    credentialId,
    {
      action: 'credentials.revoked',
      list: 'revocation',
      set: { revokedAt: platform.clock.now(), revocationReason: reason },
      check: (row) => {
        if (row.revokedAt) throw new ConflictError('credential_already_revoked', 'This credential is already revoked.')
      },
    },
    db,
  )
}

export function suspendCredential(platform: Platform, scope: OrgScope, credentialId: string) {
  return changeStatus(platform, scope, credentialId, {
    action: 'credentials.suspended',
    list: 'suspension',
    set: { suspendedAt: platform.clock.now() },
    check: (row) => {
      if (row.revokedAt) throw new ConflictError('credential_revoked', 'A revoked credential cannot be suspended.')
      if (row.suspendedAt) throw new ConflictError('credential_already_suspended', 'This credential is already suspended.')
    },
  })
}

export function reinstateCredential(platform: Platform, scope: OrgScope, credentialId: string) {
  return changeStatus(platform, scope, credentialId, {
    action: 'credentials.reinstated',
    list: 'suspension',
    set: { suspendedAt: null },
    check: (row) => {
      if (!row.suspendedAt) throw new ConflictError('credential_not_suspended', 'Only a suspended credential can be reinstated.')
    },
  })
}

export interface BulkRevocation {
  revoked: number
  alreadyRevoked: number
}

/**
 * Revokes the selected credentials in one transaction: all must be the org's (else nothing changes),
 * those already revoked are counted and left alone, each revocation is audited, and each status list
 * concerned is re-signed once rather than once per credential.
 */
export async function revokeCredentials(platform: Platform, scope: OrgScope, credentialIds: string[], reason: string): Promise<BulkRevocation> {
  requireRole(scope, 'staff')
  const { selected, revoked } = await platform.db.transaction(async (tx) => {
    const rows = await getCredentials(tx, scope, credentialIds, { forUpdate: true })
    const toRevoke = rows.filter((row) => !row.revokedAt)
    if (toRevoke.length === 0) return { selected: rows, revoked: toRevoke }
    const ids = toRevoke.map((row) => row.id)
    await tx
      .update(credentials)
      .set({ revokedAt: platform.clock.now(), revocationReason: reason })
      .where(and(eq(credentials.orgId, scope.orgId), inArray(credentials.id, ids)))
    for (const listId of new Set(toRevoke.map((row) => row.revocationListId))) await republishStatusList(platform, tx, listId)
    for (const id of ids) {
      await platform.audit.recordIn(tx, { action: 'credentials.revoked', orgId: scope.orgId, actorAccountId: scope.accountId, target: id, data: { reason } })
    }
    return { selected: rows, revoked: toRevoke }
  })
  await Promise.all(revoked.map((row) => forgetStatusOf(platform, row)))
  return { revoked: revoked.length, alreadyRevoked: selected.length - revoked.length }
}
