import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey'

export interface IssuerKeyPair {
  /** `z6Mk…`: multibase (base58btc) of the multicodec-prefixed Ed25519 public key. */
  publicKeyMultibase: string
  /** `zrv…`: multibase of the multicodec-prefixed secret key; keep it encrypted at rest. */
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

const ED25519_PUBLIC_KEY_PREFIX = 'z6Mk'

export async function generateIssuerKey(): Promise<IssuerKeyPair> {
  const { publicKeyMultibase, secretKeyMultibase } = await Ed25519Multikey.generate()
  return { publicKeyMultibase, secretKeyMultibase }
}

export function didKeyFor(publicKeyMultibase: string): string {
  if (!publicKeyMultibase.startsWith(ED25519_PUBLIC_KEY_PREFIX)) throw new Error('Expected an Ed25519 public key multibase (z6Mk…).')
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
