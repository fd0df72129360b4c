import { createHash } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { MalformedError } from '../../platform/errors.ts'
import { newId } from '../../platform/ids.ts'
import type { Platform } from '../../platform/platform.ts'
import { type OrgScope, requireRole } from '../orgs/service.ts'
import { getActiveSigner } from './issuer.ts'
import { documentLoader } from './loader.ts'
import { achievements, credentials } from './schema.ts'
import { signCredential } from './signing/sign.ts'
import { statusEntry } from './signing/status-list.ts'
import { allocateStatusSlots, lockStatusAllocation } from './status.ts'
import { publicUrls } from './urls.ts'

const VC2 = 'https://www.w3.org/ns/credentials/v2'
const VC1 = 'https://www.w3.org/2018/credentials/v1'

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value])

function reject(message: string): never {
  throw new MalformedError('invalid_credential', message)
}

/**
 * Checks a credential sent to `POST /credentials/issue` before anything is signed: the signing library
 * would sign all of these defects without complaint, producing credentials no verifier should accept.
 */
export async function validateCredentialForIssuance(platform: Platform, credential: unknown): Promise<Json> {
  if (!isObject(credential)) reject('The request needs a "credential" object.')
  const context = credential['@context']
  if (!Array.isArray(context) || context.length === 0) reject('"@context" must be an array.')
  if (context[0] !== VC2 && context[0] !== VC1) reject(`The first "@context" entry must be ${VC2} (or ${VC1}).`)
  const type = credential.type
  if (!Array.isArray(type) || !type.includes('VerifiableCredential')) reject('"type" must be an array that includes "VerifiableCredential".')
  const issuer = credential.issuer
  if (!(typeof issuer === 'string' && issuer.includes(':')) && !(isObject(issuer) && typeof issuer.id === 'string' && issuer.id.includes(':'))) {
    reject('"issuer" must be a URL or an object with an "id" URL.')
  }
  const subjects = credential.credentialSubject
  if (subjects === undefined || subjects === null) reject('"credentialSubject" is required.')
  for (const subject of asList(subjects)) if (!isObject(subject)) reject('"credentialSubject" must be an object or an array of objects.')
  for (const field of ['refreshService', 'credentialSchema'] as const) {
    for (const entry of asList(credential[field])) if (!isObject(entry) || typeof entry.type !== 'string') reject(`Every "${field}" entry needs a "type".`)
  }
  for (const field of ['validFrom', 'validUntil', 'issuanceDate', 'expirationDate'] as const) {
    const value = credential[field]
    if (value !== undefined && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) reject(`"${field}" must be an XML Schema dateTime.`)
  }
  await validateRelatedResources(platform, credential.relatedResource)
  return credential
}

async function validateRelatedResources(platform: Platform, related: unknown): Promise<void> {
  const seen = new Set<string>()
  for (const resource of asList(related)) {
    if (!isObject(resource)) reject('Every "relatedResource" entry must be an object.')
    if (typeof resource.id !== 'string') reject('Every "relatedResource" entry needs an "id".')
    if (seen.has(resource.id)) reject(`"relatedResource" repeats the id ${resource.id}.`)
    seen.add(resource.id)
    if (typeof resource.digestSRI !== 'string' && typeof resource.digestMultibase !== 'string') {
      reject(`"relatedResource" ${resource.id} needs "digestSRI" or "digestMultibase".`)
    }
    const bytes = await bytesWeHold(platform, resource.id)
    if (bytes && !digestMatches(bytes, resource)) reject(`The digest of "relatedResource" ${resource.id} does not match its content.`)
  }
}

/** The bytes behind one of our own URLs (achievement images), so a wrong digest of them can be caught. */
async function bytesWeHold(platform: Platform, url: string): Promise<Buffer | undefined> {
  const match = /\/achievements\/(ach_[a-z0-9]+)\/image$/.exec(url)
  if (!match || !url.startsWith(platform.config.publicUrl.origin)) return undefined
  const [row] = await platform.db
    .select({ data: achievements.imageData })
    .from(achievements)
    .where(eq(achievements.id, match[1] ?? ''))
  return row?.data ?? undefined
}

function digestMatches(bytes: Buffer, resource: Json): boolean {
  if (typeof resource.digestSRI === 'string') {
    const [algorithm, expected] = resource.digestSRI.split('-', 2)
    if (!algorithm || !expected || !['sha256', 'sha384', 'sha512'].includes(algorithm)) return false
    return createHash(algorithm).update(bytes).digest('base64') === expected
  }
  const multibase = String(resource.digestMultibase)
  // Multibase base64url ('u') of a multihash: 0x12 0x20 + sha2-256 digest.
  if (!multibase.startsWith('u')) return false
  const multihash = Buffer.from(multibase.slice(1), 'base64url')
  return multihash[0] === 0x12 && multihash[1] === 0x20 && multihash.subarray(2).equals(createHash('sha256').update(bytes).digest())
}

/** Signs a caller's own credential as the org's issuer, adding revocation and suspension status entries. */
export async function issueFromDocument(platform: Platform, scope: OrgScope, credential: Json): Promise<Json> {
  requireRole(scope, 'staff')
  const signer = await getActiveSigner(platform, scope.orgId)
  const issuerId = typeof credential.issuer === 'string' ? credential.issuer : (credential.issuer as Json).id
  if (issuerId !== signer.did) reject(`"issuer" must be this organisation's DID, ${signer.did}.`)
  const urls = publicUrls(platform.config)
  const isVc2 = (credential['@context'] as unknown[])[0] === VC2
  return platform.db.transaction(async (tx) => {
    await lockStatusAllocation(tx, scope.orgId)
    const [slot] = await allocateStatusSlots(platform, tx, scope.orgId, 1, signer)
    if (!slot) throw new Error('No status slot was allocated.')
    const id = newId('cred')
    const document: Json = {
      ...credential,
      id: credential.id ?? urls.credential(id),
      // Bitstring status entries are defined by the VC 2.0 context; 1.1 credentials are signed as sent.
      ...(isVc2
        ? {
            credentialStatus: [
              statusEntry({ statusListCredentialUrl: urls.statusList(slot.revocationListId), index: slot.revocationIndex, purpose: 'revocation' }),
              statusEntry({ statusListCredentialUrl: urls.statusList(slot.suspensionListId), index: slot.suspensionIndex, purpose: 'suspension' }),
            ],
          }
        : {}),
    }
    let signed: Json
    try {
      signed = await signCredential(document, signer, documentLoader(platform))
    } catch (error) {
      // JSON-LD safe mode refuses terms no context defines: the caller's document is at fault.
      reject(`The credential cannot be signed: ${(error as Error).message}`)
    }
    const subject = asList(credential.credentialSubject)[0] as Json | undefined
    await tx.insert(credentials).values({
      id,
      orgId: scope.orgId,
      recipientName: typeof subject?.name === 'string' ? subject.name : '',
      validFrom: typeof credential.validFrom === 'string' ? new Date(credential.validFrom) : platform.clock.now(),
      validUntil: typeof credential.validUntil === 'string' ? new Date(credential.validUntil) : null,
      document: signed,
      ...slot,
      issuedByAccountId: scope.accountId,
    })
    await platform.audit.recordIn(tx, {
      action: 'credentials.issued',
      orgId: scope.orgId,
      actorAccountId: scope.accountId,
      target: id,
      data: { via: 'vc-api' },
    })
    return signed
  })
}
