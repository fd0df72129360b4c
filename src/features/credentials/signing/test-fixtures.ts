// Shared by the signing tests: issuers, the Open Badges credential shape Laurel issues, and an
// in-memory "web" of DID documents and status-list credentials.
import { createHash, randomBytes } from 'node:crypto'
import { DataIntegrityProof, type LinkedDataSuite } from '@digitalbazaar/data-integrity'
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey'
import { Ed25519Signature2020 } from '@digitalbazaar/ed25519-signature-2020'
import { createSignCryptosuite } from '@digitalbazaar/eddsa-jcs-2022-cryptosuite'
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite'
import { CredentialIssuancePurpose, signPresentation } from '@digitalbazaar/vc'
import { importJWK, SignJWT } from 'jose'
import { createDocumentLoader, type DocumentLoader, type JsonObject, OPEN_BADGES_V3_URL } from './contexts.ts'
import { buildDidDocument, type DidDocument, didKeyFor, didKeyVerificationMethodFor, didWebFor, generateIssuerKey, type KeyType } from './keys.ts'
import { type CredentialSigner, keySignerFor, signCredential } from './sign.ts'
import { type BitstringStatusListEntry, createStatusListCredential, type StatusPurpose, statusEntry } from './status-list.ts'

export const PUBLIC_URL = new URL('https://laurel.example')

export async function didKeySigner(keyType: KeyType = 'Ed25519'): Promise<CredentialSigner> {
  const key = await generateIssuerKey(keyType)
  return { did: didKeyFor(key.publicKeyMultibase), verificationMethodId: didKeyVerificationMethodFor(key.publicKeyMultibase), ...key }
}

/** A did:web issuer with a retired key and an active one, as after a key rotation. */
export async function didWebIssuer(orgId: string): Promise<{ signer: CredentialSigner; retiredSigner: CredentialSigner; didDocument: DidDocument }> {
  const did = didWebFor(PUBLIC_URL, orgId)
  const retired = await generateIssuerKey()
  const active = await generateIssuerKey()
  const didDocument = buildDidDocument({
    did,
    keys: [
      { id: 'ikey_retired', publicKeyMultibase: retired.publicKeyMultibase },
      { id: 'ikey_active', publicKeyMultibase: active.publicKeyMultibase },
    ],
  })
  return {
    signer: { did, verificationMethodId: `${did}#ikey_active`, ...active },
    retiredSigner: { did, verificationMethodId: `${did}#ikey_retired`, ...retired },
    didDocument,
  }
}

export function identityHash(email: string, salt: string): string {
  return `sha256$${createHash('sha256')
    .update(email.toLowerCase() + salt)
    .digest('hex')}`
}

/** The OpenBadgeCredential Laurel issues (the lead's shape), unsigned. */
export function openBadgeCredential(options: {
  issuerDid: string
  credentialStatus?: BitstringStatusListEntry | BitstringStatusListEntry[]
  id?: string
}): JsonObject {
  const salt = randomBytes(16).toString('hex')
  const credential: JsonObject = {
    '@context': ['https://www.w3.org/ns/credentials/v2', OPEN_BADGES_V3_URL],
    id: options.id ?? 'https://laurel.example/credentials/cred_01jd8x7k2m3n4p5q6r7s8t9v0w',
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: { id: options.issuerDid, type: ['Profile'], name: 'Northwind Certification Board', url: 'https://laurel.example' },
    name: 'Certified Forklift Safety Officer',
    validFrom: '2026-11-23T10:00:00Z',
    validUntil: '2028-11-23T10:00:00Z',
    credentialSubject: {
      type: ['AchievementSubject'],
      name: 'Zoë Ångström-Łukasiewicz',
      identifier: [{ type: 'IdentityObject', identityHash: identityHash('Zoe.Angstrom@example.org', salt), identityType: 'emailAddress', hashed: true, salt }],
      achievement: {
        id: 'https://laurel.example/achievements/ach_01jd8x7k2m3n4p5q6r7s8t9v0x',
        type: ['Achievement'],
        name: 'Certified Forklift Safety Officer',
        description: 'Passed the Northwind forklift safety examination (theory and practical).',
        criteria: { narrative: 'Score of at least **80 %** in the proctored theory exam and a passed practical assessment.' },
        image: { id: 'https://laurel.example/achievements/ach_01jd8x7k2m3n4p5q6r7s8t9v0x/image', type: 'Image' },
      },
    },
  }
  if (options.credentialStatus !== undefined) credential.credentialStatus = options.credentialStatus
  return credential
}

/** The did:web documents and status-list credentials a verifier would fetch, kept in memory. */
export class TestWeb {
  readonly didDocuments = new Map<string, object>()
  readonly documents = new Map<string, object>()
  readonly loader: DocumentLoader = createDocumentLoader({
    resolveDid: async (did) => this.didDocuments.get(did),
    resolveDocument: async (url) => this.documents.get(url),
  })
  readonly #lists = new Map<string, { purpose: StatusPurpose; setIndexes: Set<number>; signer: CredentialSigner }>()
  #listCount = 0

  addDidDocument(didDocument: DidDocument): void {
    this.didDocuments.set(didDocument.id, didDocument)
  }

  /** Creates and publishes an empty status list; returns its URL. */
  async createStatusList(purpose: StatusPurpose, signer: CredentialSigner): Promise<string> {
    const url = `${PUBLIC_URL.origin}/status-lists/sl_${purpose}_${++this.#listCount}`
    this.#lists.set(url, { purpose, setIndexes: new Set(), signer })
    await this.#publish(url)
    return url
  }

  async setBit(url: string, index: number, value: boolean): Promise<void> {
    const list = this.#lists.get(url)
    if (!list) throw new Error(`No status list ${url}.`)
    if (value) list.setIndexes.add(index)
    else list.setIndexes.delete(index)
    await this.#publish(url)
  }

  /** Revocation and suspension entries for one credential, on fresh lists of this issuer. */
  async statusEntries(signer: CredentialSigner, index: number): Promise<{ revocation: BitstringStatusListEntry; suspension: BitstringStatusListEntry }> {
    const revocationUrl = await this.createStatusList('revocation', signer)
    const suspensionUrl = await this.createStatusList('suspension', signer)
    return {
      revocation: statusEntry({ statusListCredentialUrl: revocationUrl, index, purpose: 'revocation' }),
      suspension: statusEntry({ statusListCredentialUrl: suspensionUrl, index, purpose: 'suspension' }),
    }
  }

  async #publish(url: string): Promise<void> {
    const list = this.#lists.get(url)
    if (!list) return
    const unsigned = createStatusListCredential({
      id: url,
      issuerDid: list.signer.did,
      purpose: list.purpose,
      setIndexes: list.setIndexes,
      validFrom: '2026-01-01T00:00:00Z',
    })
    this.documents.set(url, await signCredential(unsigned, list.signer, this.loader))
  }
}

export type ProofKind = 'eddsa-rdfc-2022' | 'eddsa-jcs-2022' | 'Ed25519Signature2020'

/**
 * Adds a proof by any signer (a co-signer too), of any supported kind. With `previousProof`, the
 * new proof signs the document together with that earlier proof (a proof chain).
 */
export async function addProof(
  document: JsonObject,
  signer: CredentialSigner,
  documentLoader: DocumentLoader,
  options: { kind?: ProofKind; id?: string; previousProof?: string; verificationMethod?: string } = {},
): Promise<JsonObject> {
  const proofs = document.proof === undefined ? [] : Array.isArray(document.proof) ? (document.proof as JsonObject[]) : [document.proof as JsonObject]
  const unsecured = { ...document }
  delete unsecured.proof
  const ed25519Signer = { ...(await keySignerFor(signer)), id: options.verificationMethod ?? signer.verificationMethodId }
  let suite: LinkedDataSuite
  if (options.kind === 'Ed25519Signature2020') {
    suite = new Ed25519Signature2020({ signer: ed25519Signer })
  } else {
    const dataIntegrityProof = new DataIntegrityProof({
      signer: ed25519Signer,
      cryptosuite: options.kind === 'eddsa-jcs-2022' ? createSignCryptosuite() : eddsaRdfc2022,
    })
    const template: JsonObject = {}
    if (options.id !== undefined) template.id = options.id
    if (options.previousProof !== undefined) template.previousProof = options.previousProof
    dataIntegrityProof.proof = template
    suite = dataIntegrityProof
  }
  const input = options.previousProof === undefined ? unsecured : { ...unsecured, proof: proofs.filter((proof) => proof.id === options.previousProof) }
  const proof = await suite.createProof({ document: structuredClone(input), purpose: new CredentialIssuancePurpose(), proofSet: proofs, documentLoader })
  return { ...unsecured, proof: [...proofs, proof] }
}

/** A presentation of the given credentials, signed by the holder for a challenge and domain. */
export async function presentationOf(
  credentials: JsonObject[],
  holder: CredentialSigner,
  documentLoader: DocumentLoader,
  options: { challenge: string; domain: string },
): Promise<JsonObject> {
  const presentation = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiablePresentation'],
    holder: holder.did,
    verifiableCredential: credentials,
  }
  const suite = new DataIntegrityProof({ signer: await keySignerFor(holder), cryptosuite: eddsaRdfc2022 })
  return signPresentation({ presentation, suite, documentLoader, ...options })
}

/** A P-256 did:key issuer of VC-JWTs, keys made by @digitalbazaar/ecdsa-multikey and imported into `jose`. */
export async function p256JwtIssuer() {
  const keyPair = await EcdsaMultikey.generate({ curve: 'P-256' })
  const did = `did:key:${keyPair.publicKeyMultibase}`
  const privateKey = await importJWK(await EcdsaMultikey.toJwk({ keyPair, secretKey: true }), 'ES256')
  return { did, kid: `${did}#${keyPair.publicKeyMultibase}`, privateKey }
}

/** An Open Badges 3.0 VC-JWT: the credential in the `vc` claim, with iss, jti and nbf. */
export async function openBadgeJwt(issuer: Awaited<ReturnType<typeof p256JwtIssuer>>, kid = issuer.kid) {
  const { validFrom, validUntil, ...vc } = openBadgeCredential({ issuerDid: issuer.did })
  return new SignJWT({ vc })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
    .setIssuer(issuer.did)
    .setJti(String(vc.id))
    .setNotBefore(new Date(String(validFrom)))
    .setExpirationTime(new Date(String(validUntil)))
    .sign(issuer.privateKey)
}
