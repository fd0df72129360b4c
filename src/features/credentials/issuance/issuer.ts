import { and, asc, desc, eq, isNull } from 'drizzle-orm'
import type { Db } from '../../../platform/db/client.ts'
import { InvalidError, NotFoundError } from '../../../platform/errors.ts'
import type { Platform } from '../../../platform/platform.ts'
import { type Org, type OrgScope, requireRole } from '../../orgs/service.ts'
import { issuerKeys, issuerSettings } from '../schema.ts'
import { buildDidDocument, didKeyFor, didWebFor, generateIssuerKey, KEY_TYPES, type KeyType } from '../signing/keys.ts'
import { keyTypeForSuite, type SigningCryptosuite } from '../signing/sign.ts'

export interface IssuerSigner {
  orgId: string
  keyId: string
  did: string
  verificationMethodId: string
  publicKeyMultibase: string
  secretKeyMultibase: string
}

export type DidMethod = 'web' | 'key'

/**
 * How an org signs. did:web (the default under an https public URL) names the org, and its document
 * lists every key, retired ones too; did:key is the key itself, so each key type and each rotation
 * is a DID of its own, and old credentials keep verifying because the key is in the DID.
 */
export interface IssuerSettings {
  didMethod: DidMethod
  /** The suite credentials are signed with unless a request asks for another. */
  cryptosuite: SigningCryptosuite
}

const signerCache = new Map<string, IssuerSigner>()

function defaultSettings(platform: Platform): IssuerSettings {
  return { didMethod: platform.config.isHttps ? 'web' : 'key', cryptosuite: 'eddsa-rdfc-2022' }
}

export async function getIssuerSettings(platform: Platform, orgId: string, db: Db = platform.db): Promise<IssuerSettings> {
  const [row] = await db.select().from(issuerSettings).where(eq(issuerSettings.orgId, orgId))
  const defaults = defaultSettings(platform)
  return { didMethod: row?.didMethod ?? defaults.didMethod, cryptosuite: row?.cryptosuite ?? defaults.cryptosuite }
}

/** ecdsa-rdfc-2019 needs did:web: under did:key its P-256 DID would differ from the Ed25519 DID that issues the org's status lists. */
function settingsProblem(settings: IssuerSettings): string | undefined {
  if (keyTypeForSuite(settings.cryptosuite) === 'P-256' && settings.didMethod === 'key') {
    return 'ecdsa-rdfc-2019 needs the did:web identity: under did:key its P-256 key would be an issuer apart from the one that signs the status lists.'
  }
  return undefined
}

export async function setIssuerSettings(platform: Platform, scope: OrgScope, settings: IssuerSettings): Promise<IssuerSettings> {
  requireRole(scope, 'admin')
  const problem = settingsProblem(settings)
  if (problem) throw new InvalidError('ecdsa_needs_did_web', problem, { cryptosuite: problem })
  await platform.db.transaction(async (tx) => {
    await tx
      .insert(issuerSettings)
      .values({ orgId: scope.orgId, ...settings })
      .onConflictDoUpdate({ target: issuerSettings.orgId, set: { ...settings, updatedAt: platform.clock.now() } })
    await platform.audit.recordIn(tx, {
      action: 'credentials.issuer_settings_changed',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      data: { ...settings },
    })
  })
  return settings
}

/** The org's active keys (newest first) with its settings, in one query: this runs for every issuance. */
function activeKeysWithSettings(db: Db, orgId: string) {
  return db
    .select({ id: issuerKeys.id, keyType: issuerKeys.keyType, didMethod: issuerSettings.didMethod, cryptosuite: issuerSettings.cryptosuite })
    .from(issuerKeys)
    .leftJoin(issuerSettings, eq(issuerSettings.orgId, issuerKeys.orgId))
    .where(and(eq(issuerKeys.orgId, orgId), isNull(issuerKeys.retiredAt)))
    .orderBy(desc(issuerKeys.createdAt))
}

/**
 * The signer and suite for credentials an org issues now: the suite asked for, or the org's default,
 * with the active key of that suite's type (made on first use).
 */
export async function getIssuingSigner(
  platform: Platform,
  orgId: string,
  options: { cryptosuite?: SigningCryptosuite; db?: Db } = {},
): Promise<{ signer: IssuerSigner; cryptosuite: SigningCryptosuite }> {
  const db = options.db ?? platform.db
  const keys = await activeKeysWithSettings(db, orgId)
  const [first] = keys
  const defaults = defaultSettings(platform)
  const stored: IssuerSettings = first
    ? { didMethod: first.didMethod ?? defaults.didMethod, cryptosuite: first.cryptosuite ?? defaults.cryptosuite }
    : await getIssuerSettings(platform, orgId, db)
  const settings = { ...stored, cryptosuite: options.cryptosuite ?? stored.cryptosuite }
  const problem = settingsProblem(settings)
  if (problem) throw new InvalidError('ecdsa_needs_did_web', problem, { cryptosuite: problem })
  const keyType = keyTypeForSuite(settings.cryptosuite)
  const keyId = keys.find((key) => key.keyType === keyType)?.id ?? (await createIssuerKey(platform, db, orgId, keyType))
  return { signer: await signerOf(platform, db, orgId, keyId, settings.didMethod), cryptosuite: settings.cryptosuite }
}

/** The org's active Ed25519 signer (its status lists are signed with it), creating its first key on first use. */
export async function getActiveSigner(platform: Platform, orgId: string, db: Db = platform.db): Promise<IssuerSigner> {
  const keys = await activeKeysWithSettings(db, orgId)
  const key = keys.find((candidate) => candidate.keyType === 'Ed25519')
  const didMethod = key ? (key.didMethod ?? defaultSettings(platform).didMethod) : (await getIssuerSettings(platform, orgId, db)).didMethod
  return signerOf(platform, db, orgId, key?.id ?? (await createIssuerKey(platform, db, orgId, 'Ed25519')), didMethod)
}

/**
 * A signer for a DID the org has issued under: its did:web with the active Ed25519 key, or the
 * did:key of one of its keys, retired ones too (a did:key is its key, so only that key speaks for it).
 */
export async function signerForDid(platform: Platform, orgId: string, did: string, db: Db = platform.db): Promise<IssuerSigner> {
  if (did === didWebFor(platform.config.publicUrl, orgId)) {
    const key = (await activeKeysWithSettings(db, orgId)).find((candidate) => candidate.keyType === 'Ed25519')
    return signerOf(platform, db, orgId, key?.id ?? (await createIssuerKey(platform, db, orgId, 'Ed25519')), 'web')
  }
  const [key] = did.startsWith('did:key:')
    ? await db
        .select({ id: issuerKeys.id })
        .from(issuerKeys)
        .where(and(eq(issuerKeys.orgId, orgId), eq(issuerKeys.publicKeyMultibase, did.slice('did:key:'.length))))
    : []
  if (!key) throw new NotFoundError('issuer_key', did)
  return signerOf(platform, db, orgId, key.id, 'key')
}

async function signerOf(platform: Platform, db: Db, orgId: string, keyId: string, didMethod: DidMethod): Promise<IssuerSigner> {
  const cacheKey = `${keyId} ${didMethod}`
  const cached = signerCache.get(cacheKey)
  if (cached) return cached
  const [row] = await db.select().from(issuerKeys).where(eq(issuerKeys.id, keyId))
  if (!row) throw new NotFoundError('issuer_key', keyId)
  const did = didMethod === 'web' ? didWebFor(platform.config.publicUrl, orgId) : didKeyFor(row.publicKeyMultibase)
  const signer: IssuerSigner = {
    orgId,
    keyId,
    did,
    verificationMethodId: didMethod === 'web' ? `${did}#${keyId}` : `${did}#${row.publicKeyMultibase}`,
    publicKeyMultibase: row.publicKeyMultibase,
    secretKeyMultibase: await platform.keyring.decrypt(row.secretKeyEncrypted),
  }
  signerCache.set(cacheKey, signer)
  return signer
}

async function createIssuerKey(platform: Platform, db: Db, orgId: string, keyType: KeyType): Promise<string> {
  const { publicKeyMultibase, secretKeyMultibase } = await generateIssuerKey(keyType)
  const [row] = await db
    .insert(issuerKeys)
    .values({ orgId, keyType, publicKeyMultibase, secretKeyEncrypted: platform.keyring.encrypt(secretKeyMultibase) })
    .returning({ id: issuerKeys.id })
  if (!row) throw new Error('The issuer key was not stored.')
  return row.id
}

/** Retires every active key and makes a new one of each type the org had; retired keys stay in the DID document. */
export async function rotateIssuerKey(platform: Platform, scope: OrgScope): Promise<IssuerSigner> {
  requireRole(scope, 'admin')
  return platform.db.transaction(async (tx) => {
    const retired = await tx
      .update(issuerKeys)
      .set({ retiredAt: platform.clock.now() })
      .where(and(eq(issuerKeys.orgId, scope.orgId), isNull(issuerKeys.retiredAt)))
      .returning({ keyType: issuerKeys.keyType })
    const keyTypes = KEY_TYPES.filter((keyType) => keyType === 'Ed25519' || retired.some((key) => key.keyType === keyType))
    for (const keyType of keyTypes) {
      const keyId = await createIssuerKey(platform, tx, scope.orgId, keyType)
      await platform.audit.recordIn(tx, { action: 'credentials.issuer_key_rotated', orgId: scope.orgId, actorAccountId: scope.accountId, target: keyId })
    }
    return getActiveSigner(platform, scope.orgId, tx)
  })
}

/**
 * The did:web DID document of an org with keys, whatever its current method: credentials signed
 * under did:web before a switch to did:key must keep verifying.
 */
export async function didDocumentOf(platform: Platform, orgId: string): Promise<Record<string, unknown> | undefined> {
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
