import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey'
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey'

/** The key types an issuer holds: Ed25519 for the eddsa suites, P-256 for ecdsa-rdfc-2019. */
export const KEY_TYPES = ['Ed25519', 'P-256'] as const
export type KeyType = (typeof KEY_TYPES)[number]

export interface IssuerKeyPair {
  /** `z6Mk…` (Ed25519) or `zDna…` (P-256): multibase (base58btc) of the multicodec-prefixed public key. */
  publicKeyMultibase: string
  /** Multibase of the multicodec-prefixed secret key; keep it encrypted at rest. */
  secretKeyMultibase: string
}

export type MultikeyVerificationMethod = {
  id: string
  type: 'Multikey'
  controller: string
  publicKeyMultibase: string
}

export type DidDocument = {
  '@context': string[]
  id: string
  verificationMethod: MultikeyVerificationMethod[]
  assertionMethod: string[]
}

/** The multibase header of each key type's public key, which is also how a did:key names its type. */
export const PUBLIC_KEY_PREFIXES: Record<KeyType, string> = { Ed25519: 'z6Mk', 'P-256': 'zDna' }

export async function generateIssuerKey(keyType: KeyType = 'Ed25519'): Promise<IssuerKeyPair> {
  const { publicKeyMultibase, secretKeyMultibase } =
    keyType === 'P-256'
      ? await (await EcdsaMultikey.generate({ curve: 'P-256' })).export({ publicKey: true, secretKey: true })
      : await Ed25519Multikey.generate()
  if (!publicKeyMultibase || !secretKeyMultibase) throw new Error(`The ${keyType} key pair could not be exported.`)
  return { publicKeyMultibase, secretKeyMultibase }
}

/** The type of a public key, from its multibase header; undefined for a type Laurel does not sign with. */
export function keyTypeOf(publicKeyMultibase: string): KeyType | undefined {
  return KEY_TYPES.find((keyType) => publicKeyMultibase.startsWith(PUBLIC_KEY_PREFIXES[keyType]))
}

export function didKeyFor(publicKeyMultibase: string): string {
  if (!keyTypeOf(publicKeyMultibase)) throw new Error('Expected an Ed25519 (z6Mk…) or P-256 (zDna…) public key multibase.')
  return `did:key:${publicKeyMultibase}`
}

/** The verification method id of a `did:key`: the DID with the key itself as fragment. */
export function didKeyVerificationMethodFor(publicKeyMultibase: string): string {
  return `${didKeyFor(publicKeyMultibase)}#${publicKeyMultibase}`
}

/**
 * The `did:web` DID of an org, resolving to `https://<host>/issuers/<orgId>/did.json`. A port is
 * percent-encoded as did:web requires; the path of `publicUrl` is ignored, because the DID document
 * is served at `/issuers/<orgId>/did.json` from the origin. `didWebFor(url, '')` is the prefix shared
 * by every org's DID.
 */
export function didWebFor(publicUrl: URL, orgId: string): string {
  return `did:web:${encodeURIComponent(publicUrl.host)}:issuers:${encodeURIComponent(orgId)}`
}

/**
 * A DID document listing every key (current and retired) as a Multikey verification method for
 * `assertionMethod`, so credentials signed before a rotation still verify. Key ids are fragments,
 * with or without the leading `#`.
 */
export function buildDidDocument({ did, keys }: { did: string; keys: { id: string; publicKeyMultibase: string }[] }): DidDocument {
  const verificationMethod = keys.map(
    (key): MultikeyVerificationMethod => ({
      id: `${did}#${key.id.replace(/^#/, '')}`,
      type: 'Multikey',
      controller: did,
      publicKeyMultibase: key.publicKeyMultibase,
    }),
  )
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod,
    assertionMethod: verificationMethod.map((method) => method.id),
  }
}
