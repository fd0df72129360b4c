import { and, asc, desc, eq, isNull } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { NotFoundError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { type Org, type OrgScope, requireRole } from '../../orgs/service.ts'
import { issuerKeys } from '../schema.ts'
import { buildDidDocument, didKeyFor, didWebFor, generateIssuerKey } from '../signing/keys.ts'

export interface IssuerSigner {
  orgId: string
  keyId: string
  did: string
  verificationMethodId: string
  publicKeyMultibase: string
  secretKeyMultibase: string
}

const signerCache = new Map<string, IssuerSigner>()

/**
 * The org's issuer identity: `did:web` under the public URL when it is https (the DID document lists
 * every key, retired ones too, so earlier credentials still verify), otherwise `did:key` of the
 * active key (self-describing, so rotation changes the DID but old credentials keep verifying).
 */
export function usesDidWeb(platform: Platform): boolean {
  return platform.config.isHttps
}

export function issuerDid(platform: Platform, orgId: string, publicKeyMultibase: string): string {
  return usesDidWeb(platform) ? didWebFor(platform.config.publicUrl, orgId) : didKeyFor(publicKeyMultibase)
}

/** The active signer of an org, creating its first key on first use. */
export async function getActiveSigner(platform: Platform, orgId: string, db: Db = platform.db): Promise<IssuerSigner> {
  const [key] = await db
    .select({ id: issuerKeys.id })
    .from(issuerKeys)
    .where(and(eq(issuerKeys.orgId, orgId), isNull(issuerKeys.retiredAt)))
    .orderBy(desc(issuerKeys.createdAt))
    .limit(1)
  const keyId = key?.id ?? (await createIssuerKey(platform, db, orgId))
  const cached = signerCache.get(keyId)
  if (cached) return cached
  const [row] = await db.select().from(issuerKeys).where(eq(issuerKeys.id, keyId))
  if (!row) throw new NotFoundError('issuer_key', keyId)
  const did = issuerDid(platform, orgId, row.publicKeyMultibase)
  const signer: IssuerSigner = {
    orgId,
    keyId,
    did,
    verificationMethodId: usesDidWeb(platform) ? `${did}#${keyId}` : `${did}#${row.publicKeyMultibase}`,
    publicKeyMultibase: row.publicKeyMultibase,
    secretKeyMultibase: await platform.keyring.decrypt(row.secretKeyEncrypted),
  }
  signerCache.set(keyId, signer)
  return signer
}

async function createIssuerKey(platform: Platform, db: Db, orgId: string): Promise<string> {
  const { publicKeyMultibase, secretKeyMultibase } = await generateIssuerKey()
  const [row] = await db
    .insert(issuerKeys)
    .values({ orgId, publicKeyMultibase, secretKeyEncrypted: platform.keyring.encrypt(secretKeyMultibase) })
    .returning({ id: issuerKeys.id })
  if (!row) throw new Error('The issuer key was not stored.')
  return row.id
}

/** Retires the active key and makes a new one; the retired key stays in the DID document. */
export async function rotateIssuerKey(platform: Platform, scope: OrgScope): Promise<IssuerSigner> {
  requireRole(scope, 'admin')
  return platform.db.transaction(async (tx) => {
    await tx
      .update(issuerKeys)
      .set({ retiredAt: platform.clock.now() })
      .where(and(eq(issuerKeys.orgId, scope.orgId), isNull(issuerKeys.retiredAt)))
    const keyId = await createIssuerKey(platform, tx, scope.orgId)
    await platform.audit.recordIn(tx, { action: 'credentials.issuer_key_rotated', orgId: scope.orgId, actorAccountId: scope.accountId, target: keyId })
    return getActiveSigner(platform, scope.orgId, tx)
  })
}

/** The did:web DID document of an org (undefined when the org does not exist or did:web is off). */
export async function didDocumentOf(platform: Platform, orgId: string): Promise<Record<string, unknown> | undefined> {
  if (!usesDidWeb(platform)) return undefined
  const keys = await platform.db.select().from(issuerKeys).where(eq(issuerKeys.orgId, orgId)).orderBy(asc(issuerKeys.createdAt))
  if (keys.length === 0) return undefined
  return buildDidDocument({
    did: didWebFor(platform.config.publicUrl, orgId),
    keys: keys.map((key) => ({ id: key.id, publicKeyMultibase: key.publicKeyMultibase })),
  })
}

export interface IssuerProfile {
  id: string
  type: ['Profile']
  name: string
  url: string
}

export function issuerProfile(platform: Platform, org: Pick<Org, 'name'>, signer: IssuerSigner): IssuerProfile {
  return { id: signer.did, type: ['Profile'], name: org.name, url: platform.config.publicUrl.origin }
}

/** Whether the DID (any key of any org, past or present) belongs to this platform; used by the verifier. */
export async function findOrgOfDid(platform: Platform, did: string): Promise<string | undefined> {
  const prefix = didWebFor(platform.config.publicUrl, '')
  if (did.startsWith(prefix)) return did.slice(prefix.length)
  if (!did.startsWith('did:key:')) return undefined
  const [row] = await platform.db
    .select({ orgId: issuerKeys.orgId })
    .from(issuerKeys)
    .where(eq(issuerKeys.publicKeyMultibase, did.slice('did:key:'.length)))
  return row?.orgId
}
