// Credentials secured as JWTs (VC-JWT for VC 1.1 and Open Badges 3.0, VC-JOSE for VC 2.0), checked
// with `jose`: the signature by the key the header's `kid` names (a DID URL, resolved like a proof's
// verification method), then everything else as for a credential with an embedded proof.
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey'
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey'
import { decodeJwt, decodeProtectedHeader, importJWK, type JWTPayload, jwtVerify, type ProtectedHeaderParameters } from 'jose'
import type { DocumentLoader, JsonObject } from './contexts.ts'
import {
  isAuthorized,
  malformedReport,
  messageOf,
  type ProofOutcome,
  type VerificationReport,
  type VerifyOptions,
  verifyEnvelopedCredential,
} from './verify.ts'

/** A compact JWS: three base64url parts, the last (the signature) possibly empty. */
export function isCompactJws(text: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(text)
}

const ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'RS256', 'PS256']

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * The credential a JWT secures: VC 1.1 and Open Badges 3.0 put it in the `vc` claim, with `iss`, `jti`,
 * `nbf` and `exp` standing for issuer, id and dates (VC-JWT 1.1 §6.3.1); VC-JOSE 2.0 makes the
 * credential itself the payload.
 */
function credentialOf(payload: JWTPayload): unknown {
  if (!isObject(payload.vc)) return payload
  const vc: JsonObject = { ...payload.vc }
  const isV1 = Array.isArray(vc['@context']) && vc['@context'][0] === 'https://www.w3.org/2018/credentials/v1'
  const date = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
  if (vc.issuer === undefined && typeof payload.iss === 'string') vc.issuer = payload.iss
  if (vc.id === undefined && typeof payload.jti === 'string') vc.id = payload.jti
  if (typeof payload.nbf === 'number' && vc[isV1 ? 'issuanceDate' : 'validFrom'] === undefined) vc[isV1 ? 'issuanceDate' : 'validFrom'] = date(payload.nbf)
  if (typeof payload.exp === 'number' && vc[isV1 ? 'expirationDate' : 'validUntil'] === undefined)
    vc[isV1 ? 'expirationDate' : 'validUntil'] = date(payload.exp)
  return vc
}

function issuerIdOf(vc: unknown): unknown {
  const issuer = isObject(vc) ? vc.issuer : undefined
  return isObject(issuer) ? issuer.id : issuer
}

/** The public key of a verification method as a JWK: given as `publicKeyJwk`, or an Ed25519 or P-256 Multikey. */
async function jwkOf(method: JsonObject): Promise<Record<string, unknown>> {
  if (isObject(method.publicKeyJwk)) return method.publicKeyJwk
  const multibase = String(method.publicKeyMultibase)
  if (multibase.startsWith('z6Mk')) return Ed25519Multikey.toJwk({ keyPair: await Ed25519Multikey.from(method) })
  return EcdsaMultikey.toJwk({ keyPair: await EcdsaMultikey.from(method) })
}

async function verifyJwtSignature(token: string, header: ProtectedHeaderParameters, vc: unknown, documentLoader: DocumentLoader): Promise<ProofOutcome> {
  const proof = { type: 'JWT', token }
  const label = `JWT (${String(header.alg)})`
  const kid = header.kid
  if (typeof kid !== 'string') return { proof, ok: false, detail: `${label}: the header names no key (kid)`, failure: 'key_unavailable' }
  // A kid may be relative to the issuer's DID (`#key-1`).
  const keyId = kid.startsWith('#') ? `${String(issuerIdOf(vc))}${kid}` : kid
  let method: JsonObject
  let key: Awaited<ReturnType<typeof importJWK>>
  try {
    method = (await documentLoader(keyId)).document
    key = await importJWK(await jwkOf(method), header.alg)
  } catch (error) {
    return { proof, ok: false, detail: `${label}: could not retrieve the key ${keyId}: ${messageOf(error)}`, failure: 'key_unavailable' }
  }
  try {
    // Dates are the validity check's business, as for embedded proofs.
    await jwtVerify(token, key, { algorithms: ALGORITHMS, clockTolerance: Number.MAX_SAFE_INTEGER })
  } catch (error) {
    return { proof, ok: false, detail: `${label} signature does not match the token: ${messageOf(error)}`, failure: 'signature' }
  }
  const authorization = await isAuthorized({ ...method, id: keyId }, 'assertionMethod', documentLoader)
  if ('problem' in authorization) return { proof, ok: false, detail: `${label}: ${authorization.problem}`, failure: authorization.failure }
  return { proof, ok: true, controller: authorization.controller, detail: `${label} by ${keyId}` }
}

/** Verifies a credential secured as a JWT; never throws. */
export async function verifyJwtCredential(token: string, options: VerifyOptions): Promise<VerificationReport> {
  let vc: unknown
  let header: ProtectedHeaderParameters
  try {
    header = decodeProtectedHeader(token)
    vc = credentialOf(decodeJwt(token))
  } catch (error) {
    return malformedReport(`the JWT cannot be read: ${messageOf(error)}`)
  }
  return verifyEnvelopedCredential(vc, options, async () => [await verifyJwtSignature(token, header, vc, options.documentLoader)])
}
