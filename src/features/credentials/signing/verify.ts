import { createHash } from 'node:crypto'
import { type Cryptosuite, DataIntegrityProof, type LinkedDataSuite, type ProofVerification } from '@digitalbazaar/data-integrity'
import { cryptosuite as ecdsaRdfc2019 } from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite'
import { createVerifyCryptosuite as ecdsaSd2023 } from '@digitalbazaar/ecdsa-sd-2023-cryptosuite'
import { Ed25519Signature2020 } from '@digitalbazaar/ed25519-signature-2020'
import { cryptosuite as eddsa2022 } from '@digitalbazaar/eddsa-2022-cryptosuite'
import { createVerifyCryptosuite } from '@digitalbazaar/eddsa-jcs-2022-cryptosuite'
import { checkStatus } from '@digitalbazaar/vc-bitstring-status-list'
import type { MemoTable } from '../../../platform/memo.ts'
import { CREDENTIALS_V1_URL, CREDENTIALS_V2_URL, type DocumentLoader, ED25519_2020_URL, type JsonObject, type LoadedDocument } from './contexts.ts'
import { checkCredentialDataModel, RuleViolation } from './data-model.ts'
import { fastEddsaRdfc2022 } from './fast-canonicalize.ts'
import { validateOb3Schema } from './ob3-schema.ts'

export { OB3_SCHEMA_URLS, validateOb3Schema } from './ob3-schema.ts'

export type Verdict =
  | 'valid'
  | 'revoked'
  | 'suspended'
  | 'expired'
  | 'not_yet_valid'
  | 'invalid_signature'
  | 'key_unavailable'
  | 'issuer_mismatch'
  | 'status_unknown'
  | 'malformed'
export type CheckName = 'signature' | 'issuer' | 'status' | 'validity' | 'schema' | 'record'
export type VerificationCheck = { name: CheckName; ok: boolean; detail: string }
/** `checks` always lists the five checks in this order: signature, issuer, status, validity, schema. */
export type VerificationReport = { verdict: Verdict; checks: VerificationCheck[] }
export type PresentationVerification = { ok: boolean; credentials: VerificationReport[]; problems: string[] }

export interface VerifyOptions {
  documentLoader: DocumentLoader
  /** The time validity dates are compared with; the current time by default. */
  now?: Date
  /**
   * Where checks that depend only on the documents checked are remembered, keyed by their exact JSON:
   * the proofs of credentials and status lists (the cryptography), and the bit a status list holds
   * for an entry (its decoding). Checked again while remembered, the same documents skip that work;
   * any change to them is a new key. A document's proofs hold or fail the same way until its
   * issuer's DID document changes, which the memo's time limit bounds. Without it, all is checked.
   */
  memo?: VerificationMemo
}

export interface VerificationMemo {
  proofs: MemoTable<ProofOutcome[]>
  statusBits: MemoTable<StatusOutcome>
}

/** A memo key for exactly these strings. */
function contentKey(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('base64url')
}

// As @digitalbazaar/vc: tolerate clocks a few minutes apart at validFrom and validUntil.
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000

type ProofPurpose = 'assertionMethod' | 'authentication'

/**
 * Why a proof failed: the document cannot be read as JSON-LD (undefined term, unknown context); its
 * key or the key's controller document could not be retrieved; the key is not one its controller
 * authorises for the purpose; or the signature itself (or the proof's form) does not hold.
 */
export type ProofFailure = 'malformed' | 'key_unavailable' | 'key_not_authorized' | 'signature'

export interface ProofOutcome {
  proof: unknown
  ok: boolean
  /** The DID (or controller document) that controls the key, once the proof verified. */
  controller?: string
  detail: string
  failure?: ProofFailure
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function toArray(value: unknown): unknown[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

function idOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  return isObject(value) && typeof value.id === 'string' ? value.id : undefined
}

/** The message of an error with what it wraps: jsonld-signatures nests the real reasons in `errors`, others in `cause`. */
export function messageOf(error: unknown): string {
  if (Array.isArray(error)) return error.map(messageOf).join('; ')
  if (!(error instanceof Error)) return String(error)
  const reasons = reasonsOf(error)
  return reasons ? `${error.message} (${reasons})` : error.message
}

function reasonsOf(error: Error): string | undefined {
  const { errors } = error as { errors?: unknown }
  if (Array.isArray(errors) && errors.length > 0) return messageOf(errors)
  if (!(error.cause instanceof Error)) return undefined
  // Messages often repeat their cause's message ("…; reason: <cause>"): add only what it does not say.
  return error.message.includes(error.cause.message) ? reasonsOf(error.cause) : messageOf(error.cause)
}

/** An error of JSON-LD processing (an undefined term in safe mode, a bad or redefined context): the document's fault. */
export function isJsonLdError(error: unknown): boolean {
  if (Array.isArray(error)) return error.some(isJsonLdError)
  return error instanceof Error && error.name.startsWith('jsonld.')
}

/** The Data Integrity cryptosuites Laurel verifies besides eddsa-rdfc-2022, by name. */
const VERIFY_CRYPTOSUITES = new Map<unknown, () => Cryptosuite>([
  ['eddsa-jcs-2022', createVerifyCryptosuite],
  ['ecdsa-rdfc-2019', () => ecdsaRdfc2019],
  // Derived (selectively disclosed) proofs only: a base proof is for the holder, not for verifiers.
  ['ecdsa-sd-2023', ecdsaSd2023],
  // The draft name of eddsa-rdfc-2022, still found in credentials issued in 2023.
  ['eddsa-2022', () => eddsa2022],
])

function verificationSuiteFor(proof: JsonObject): LinkedDataSuite | undefined {
  if (proof.type === 'Ed25519Signature2020') return new Ed25519Signature2020()
  if (proof.type !== 'DataIntegrityProof') return undefined
  // The fast canonicaliser handles Laurel's own credential shape (property-tested byte-identical to
  // rdf-canonize) and hands every other document to the general algorithm.
  if (proof.cryptosuite === 'eddsa-rdfc-2022') return new DataIntegrityProof({ cryptosuite: fastEddsaRdfc2022 })
  const cryptosuite = VERIFY_CRYPTOSUITES.get(proof.cryptosuite)
  return cryptosuite && new DataIntegrityProof({ cryptosuite: cryptosuite() })
}

/**
 * A bare `did:key:z…` as verification method names the DID, whose only key is `did:key:z…#z…`;
 * the suites expect the key, while the controller lookup must still get the DID document.
 */
function verificationMethodLoader(documentLoader: DocumentLoader, proof: JsonObject): DocumentLoader {
  const method = proof.verificationMethod
  if (typeof method !== 'string' || !method.startsWith('did:key:') || method.includes('#')) return documentLoader
  const key = `${method}#${method.slice('did:key:'.length)}`
  return (url) => documentLoader(url === method ? key : url)
}

export async function isAuthorized(
  method: JsonObject,
  purpose: ProofPurpose,
  documentLoader: DocumentLoader,
): Promise<{ controller: string } | { problem: string; failure: ProofFailure }> {
  const methodId = idOf(method)
  const controller = idOf(method.controller)
  if (!methodId || !controller) return { problem: 'the verification method names no controller', failure: 'key_not_authorized' }
  let controllerDocument: JsonObject
  try {
    controllerDocument = (await documentLoader(controller)).document
  } catch (error) {
    return { problem: `could not retrieve the key's controller document ${controller}: ${messageOf(error)}`, failure: 'key_unavailable' }
  }
  const listed = toArray(controllerDocument[purpose]).map((entry) => {
    const id = idOf(entry)
    return id?.startsWith('#') ? `${controller}${id}` : id
  })
  if (!listed.includes(methodId)) return { problem: `${methodId} is not an ${purpose} key of ${controller}`, failure: 'key_not_authorized' }
  return { controller }
}

async function verifyOneProof(
  proof: unknown,
  context: { proofs: unknown[]; unsecured: JsonObject; purpose: ProofPurpose; documentLoader: DocumentLoader },
): Promise<ProofOutcome> {
  const { proofs, unsecured, purpose, documentLoader } = context
  if (!isObject(proof)) return { proof, ok: false, detail: 'a proof is not an object', failure: 'malformed' }
  const label = `${String(proof.type)}${typeof proof.cryptosuite === 'string' ? ` (${proof.cryptosuite})` : ''}`
  const suite = verificationSuiteFor(proof)
  if (!suite) return { proof, ok: false, detail: `unsupported proof type ${label}`, failure: 'signature' }
  if (proof.proofPurpose !== purpose) {
    return { proof, ok: false, detail: `${label} proof is for ${String(proof.proofPurpose)}, not ${purpose}`, failure: 'signature' }
  }

  // A proof in a chain signed the document together with the proofs it names as previousProof.
  let document: JsonObject = { ...unsecured }
  if (proof.previousProof !== undefined) {
    const previous: unknown[] = []
    for (const id of toArray(proof.previousProof)) {
      const found = proofs.find((other) => isObject(other) && other.id === id)
      if (!found) return { proof, ok: false, detail: `previousProof ${String(id)} is not among the proofs`, failure: 'signature' }
      previous.push(found)
    }
    document = { ...unsecured, proof: previous }
  }
  if (proof.type === 'Ed25519Signature2020' && !toArray(unsecured['@context']).includes(ED25519_2020_URL)) {
    return { proof, ok: false, detail: `an Ed25519Signature2020 proof needs the context ${ED25519_2020_URL}`, failure: 'malformed' }
  }
  // JCS signs the proof options exactly as written; the RDF suites read them in the document's context.
  const proofForSuite = proof.cryptosuite === 'eddsa-jcs-2022' ? proof : { '@context': unsecured['@context'], ...proof }

  // The suite loads the key through this loader: a failure to load it is not a failed signature.
  let keyFailure: unknown
  const methodLoader = verificationMethodLoader(documentLoader, proof)
  const keyLoader: DocumentLoader = async (url) => {
    try {
      return await methodLoader(url)
    } catch (error) {
      if (url === proof.verificationMethod) keyFailure = error
      throw error
    }
  }
  let result: ProofVerification
  try {
    result = await suite.verifyProof({ proof: proofForSuite, document, proofSet: proofs.filter(isObject), documentLoader: keyLoader })
  } catch (error) {
    result = { verified: false, error }
  }
  if (!result.verified || !result.verificationMethod) {
    if (keyFailure !== undefined) {
      return {
        proof,
        ok: false,
        detail: `${label}: could not retrieve the key ${String(proof.verificationMethod)}: ${messageOf(keyFailure)}`,
        failure: 'key_unavailable',
      }
    }
    const message = messageOf(result.error)
    if (isJsonLdError(result.error)) return { proof, ok: false, detail: `cannot be read as JSON-LD: ${message}`, failure: 'malformed' }
    const detail = message === 'Invalid signature.' ? `${label} signature does not match the document` : `${label}: ${message}`
    return { proof, ok: false, detail, failure: 'signature' }
  }
  const authorization = await isAuthorized(result.verificationMethod, purpose, documentLoader)
  if ('problem' in authorization) return { proof, ok: false, detail: `${label}: ${authorization.problem}`, failure: authorization.failure }
  return { proof, ok: true, controller: authorization.controller, detail: `${label} by ${String(result.verificationMethod.id)}` }
}

/** Verifies every proof (set or chain) of a credential or presentation; all of them must hold. */
async function verifyProofs(
  document: JsonObject,
  purpose: ProofPurpose,
  documentLoader: DocumentLoader,
  memo?: MemoTable<ProofOutcome[]>,
): Promise<ProofOutcome[]> {
  return rememberedByContent(
    memo,
    () => contentKey(purpose, JSON.stringify(document)),
    () => {
      const proofs = toArray(document.proof)
      const unsecured = { ...document }
      delete unsecured.proof
      return Promise.all(proofs.map((proof) => verifyOneProof(proof, { proofs, unsecured, purpose, documentLoader })))
    },
  )
}

/**
 * `compute()`, or what `memo` remembers of it under `key()`, a key made from the exact content
 * `compute` depends on: nothing in the database can make a remembered value wrong, it only expires.
 */
function rememberedByContent<V>(memo: MemoTable<V> | undefined, key: () => string, compute: () => Promise<V>): Promise<V> {
  return memo ? memo.remember(key(), compute, () => []) : compute()
}

/** The first VC Data Model rule the document breaks, naming the rule and where; or that it has no proof (unless secured otherwise). */
function structuralProblem(vc: unknown, needsProof: boolean): string | undefined {
  try {
    checkCredentialDataModel(vc)
  } catch (error) {
    if (!(error instanceof RuleViolation)) throw error
    return `${error.message.replace(/\.$/, '')} (rule ${error.rule}, at ${error.pointer})`
  }
  if (needsProof && toArray(vc.proof).length === 0) return 'it has no proof, so it is not a verifiable credential'
  return undefined
}

export type StatusOutcome = { purpose: string; state: 'set' | 'clear' | 'unknown'; detail: string }

async function checkStatusEntry(vc: JsonObject, entry: unknown, options: VerifyOptions): Promise<StatusOutcome> {
  if (!isObject(entry)) return { purpose: 'unknown', state: 'unknown', detail: 'a credentialStatus entry is not an object' }
  const purpose = String(entry.statusPurpose)
  const unknown = (reason: string): StatusOutcome => ({ purpose, state: 'unknown', detail: `${purpose} status unknown: ${reason}` })
  if (entry.type !== 'BitstringStatusListEntry') return { purpose, state: 'unknown', detail: `unsupported status type ${String(entry.type)}` }
  const listUrl = entry.statusListCredential
  if (typeof listUrl !== 'string') return unknown('the entry names no statusListCredential')
  let statusList: LoadedDocument
  try {
    statusList = await options.documentLoader(listUrl)
  } catch (error) {
    return unknown(`cannot load ${listUrl}: ${messageOf(error)}`)
  }
  // The list is verified here, like a credential (its proofs remembered in the memo), rather than by
  // the library, which would check its proof again on every call; the library then reads the bit
  // from this same document.
  const listReport = await verifyCredentialOnly(statusList.document, options)
  if (listReport.verdict !== 'valid') {
    const firstFailure = listReport.checks.find((check) => !check.ok)
    return unknown(`the status list ${listUrl} does not verify: ${firstFailure?.detail ?? listReport.verdict}`)
  }
  return rememberedByContent(
    options.memo?.statusBits,
    () => contentKey(JSON.stringify(vc.issuer), JSON.stringify(entry), JSON.stringify(statusList.document)),
    () => readStatusBit(vc, entry, listUrl, statusList, unknown),
  )
}

/** The entry's bit in a status list that verified, read by @digitalbazaar/vc-bitstring-status-list. */
async function readStatusBit(
  vc: JsonObject,
  entry: JsonObject,
  listUrl: string,
  statusList: LoadedDocument,
  unknown: (reason: string) => StatusOutcome,
): Promise<StatusOutcome> {
  const purpose = String(entry.statusPurpose)
  const result = await checkStatus({
    credential: { ...vc, credentialStatus: entry },
    documentLoader: async (url) => {
      if (url !== listUrl) throw new Error(`Only the status list ${listUrl} was expected, not ${url}.`)
      return statusList
    },
    suite: [],
    verifyBitstringStatusListCredential: false,
    verifyMatchingIssuers: true,
  })
  // The library's `verified: true` only means the status list was loaded and verified; a revoked
  // credential gets it too. The bit itself is `results[].status`.
  const bit = result.results?.[0]
  if (!result.verified || !bit) return unknown(messageOf(result.error))
  return { purpose, state: bit.status ? 'set' : 'clear', detail: `${purpose} bit ${bit.status ? 'set' : 'clear'} (index ${String(entry.statusListIndex)})` }
}

async function checkCredentialStatus(vc: JsonObject, options: VerifyOptions): Promise<{ check: VerificationCheck; verdict?: Verdict }> {
  const entries = toArray(vc.credentialStatus)
  if (entries.length === 0) return { check: { name: 'status', ok: true, detail: 'the credential has no status entry' } }
  const outcomes = await Promise.all(entries.map((entry) => checkStatusEntry(vc, entry, options)))
  const detail = outcomes.map((outcome) => outcome.detail).join('; ')
  const isSet = (purpose: string) => outcomes.some((outcome) => outcome.purpose === purpose && outcome.state === 'set')
  if (isSet('revocation')) return { check: { name: 'status', ok: false, detail }, verdict: 'revoked' }
  if (isSet('suspension')) return { check: { name: 'status', ok: false, detail }, verdict: 'suspended' }
  // Refresh and message entries do not decide validity, so an unreadable one does not either.
  const isUnknown = outcomes.some((outcome) => outcome.state === 'unknown' && !['refresh', 'message'].includes(outcome.purpose))
  if (isUnknown) return { check: { name: 'status', ok: false, detail }, verdict: 'status_unknown' }
  return { check: { name: 'status', ok: true, detail } }
}

function checkValidity(vc: JsonObject, now: Date): { check: VerificationCheck; verdict?: Verdict } {
  const isV2 = toArray(vc['@context'])[0] === CREDENTIALS_V2_URL
  const from = isV2 ? vc.validFrom : vc.issuanceDate
  const until = isV2 ? vc.validUntil : vc.expirationDate
  const time = now.getTime()
  if (typeof until === 'string' && Date.parse(until) + MAX_CLOCK_SKEW_MS < time) {
    return { check: { name: 'validity', ok: false, detail: `expired on ${until}` }, verdict: 'expired' }
  }
  if (typeof from === 'string' && Date.parse(from) - MAX_CLOCK_SKEW_MS > time) {
    return { check: { name: 'validity', ok: false, detail: `not valid before ${from}` }, verdict: 'not_yet_valid' }
  }
  const range = `${typeof from === 'string' ? `from ${from}` : 'from issuance'} ${typeof until === 'string' ? `until ${until}` : 'with no end'}`
  return { check: { name: 'validity', ok: true, detail: `valid ${range}` } }
}

/**
 * The official schema, read the way JSON-LD and VC 2.0 read credentials: a lone proof object is the
 * same as a one-proof array, and several credentialStatus entries (VC 2.0; OB 3.0 allows one, 1EdTech
 * issue #623 proposes more for 3.1) are each checked in the single-entry slot.
 */
function checkSchema(vc: JsonObject): VerificationCheck {
  const types = toArray(vc.type)
  if (!types.includes('OpenBadgeCredential') && !types.includes('AchievementCredential')) {
    return { name: 'schema', ok: true, detail: 'not an Open Badge: no schema to check' }
  }
  if (toArray(vc['@context'])[0] !== CREDENTIALS_V2_URL) {
    return { name: 'schema', ok: true, detail: 'not checked: the Open Badges 3.0 JSON Schema describes VC 2.0 credentials, this one is VC 1.1' }
  }
  const statuses = Array.isArray(vc.credentialStatus) ? vc.credentialStatus : [vc.credentialStatus]
  const errors = new Set<string>()
  for (const credentialStatus of statuses) {
    const candidate = { ...vc, proof: toArray(vc.proof), credentialStatus }
    if (credentialStatus === undefined) delete candidate.credentialStatus
    for (const error of validateOb3Schema(candidate).errors) errors.add(error)
  }
  if (errors.size === 0) return { name: 'schema', ok: true, detail: 'conforms to the Open Badges 3.0 JSON Schema' }
  return { name: 'schema', ok: false, detail: [...errors].join('; ') }
}

function checkIssuer(outcomes: ProofOutcome[], issuerId: string): VerificationCheck {
  const valid = outcomes.filter((outcome) => outcome.ok)
  if (valid.some((outcome) => outcome.controller === issuerId)) return { name: 'issuer', ok: true, detail: `signed by the issuer ${issuerId}` }
  const signers = [...new Set(valid.map((outcome) => outcome.controller))]
  const detail =
    signers.length > 0
      ? `signed with a key of ${signers.join(', ')}, not of the issuer ${issuerId}`
      : `no valid proof is signed with a key of the issuer ${issuerId}`
  return { name: 'issuer', ok: false, detail }
}

type NotAuthentic = 'malformed' | 'invalid_signature' | 'key_unavailable' | 'issuer_mismatch'

const NOT_AUTHENTIC_REASONS: Record<NotAuthentic, string> = {
  malformed: 'the document cannot be read as JSON-LD',
  invalid_signature: 'the signature is not valid',
  key_unavailable: 'the signing key could not be retrieved',
  issuer_mismatch: 'it is not signed by its issuer',
}

/**
 * Why a credential's proofs do not make it authentic, the most telling reason first: a signature
 * that fails says more than a key that could not be fetched, which must never read as a failed signature.
 */
function authenticityVerdict(failed: ProofOutcome[], isByIssuer: boolean): NotAuthentic | undefined {
  const has = (failure: ProofFailure) => failed.some((outcome) => outcome.failure === failure)
  if (has('malformed')) return 'malformed'
  if (has('signature')) return 'invalid_signature'
  if (has('key_unavailable')) return 'key_unavailable'
  if (has('key_not_authorized') || !isByIssuer) return 'issuer_mismatch'
  return undefined
}

function notChecked(name: CheckName, reason: string): VerificationCheck {
  return { name, ok: false, detail: `not checked: ${reason}` }
}

/**
 * Verifies a credential: every proof (eddsa-rdfc-2022, eddsa-jcs-2022, Ed25519Signature2020; sets
 * and previousProof chains), that the issuer controls the key of at least one proof, its Bitstring
 * status entries, its validity dates, and the Open Badges 3.0 schema. Never throws: the verdict is
 * the most serious finding, in the order malformed (unreadable), invalid_signature, key_unavailable,
 * issuer_mismatch, revoked, suspended, expired, not_yet_valid, status_unknown, malformed (schema), valid.
 */
export function verifyCredential(vc: unknown, options: VerifyOptions): Promise<VerificationReport> {
  return verifyCredentialWith(vc, options, { checksStatus: true })
}

/** The checks of a credential but its status entries: for status lists, which need none and must not recurse. */
function verifyCredentialOnly(vc: unknown, options: VerifyOptions): Promise<VerificationReport> {
  return verifyCredentialWith(vc, options, { checksStatus: false })
}

/** The report of a document that is not a credential: only its structure was checked. */
export function malformedReport(problem: string): VerificationReport {
  const reason = 'the document is not a well-formed credential'
  return {
    verdict: 'malformed',
    checks: [
      notChecked('signature', reason),
      notChecked('issuer', reason),
      notChecked('status', reason),
      notChecked('validity', reason),
      { name: 'schema', ok: false, detail: problem },
    ],
  }
}

/**
 * The checks of a credential secured by something other than embedded proofs (a JWT): `securedBy`
 * checks it as `verifyProofs` checks proofs; the rest is as for any credential.
 */
export function verifyEnvelopedCredential(vc: unknown, options: VerifyOptions, securedBy: () => Promise<ProofOutcome[]>): Promise<VerificationReport> {
  return verifyCredentialWith(vc, options, { checksStatus: true, securedBy })
}

async function verifyCredentialWith(
  vc: unknown,
  options: VerifyOptions,
  { checksStatus, securedBy }: { checksStatus: boolean; securedBy?: () => Promise<ProofOutcome[]> },
): Promise<VerificationReport> {
  const problem = structuralProblem(vc, !securedBy)
  if (problem !== undefined || !isObject(vc)) return malformedReport(problem ?? 'not a JSON object')

  const { documentLoader } = options
  const outcomes = securedBy ? await securedBy() : await verifyProofs(vc, 'assertionMethod', documentLoader, options.memo?.proofs)
  const failed = outcomes.filter((outcome) => !outcome.ok)
  const signature: VerificationCheck = {
    name: 'signature',
    ok: failed.length === 0,
    detail: (failed.length > 0 ? failed : outcomes).map((outcome) => outcome.detail).join('; '),
  }
  const issuerId = idOf(vc.issuer) ?? ''
  const issuer = checkIssuer(outcomes, issuerId)
  const authenticity = authenticityVerdict(failed, issuer.ok)

  let status: { check: VerificationCheck; verdict?: Verdict }
  if (authenticity) status = { check: notChecked('status', NOT_AUTHENTIC_REASONS[authenticity]) }
  else if (!checksStatus) status = { check: { name: 'status', ok: true, detail: 'a status list carries no status of its own' } }
  else status = await checkCredentialStatus(vc, options)
  const validity = checkValidity(vc, options.now ?? new Date())
  const schema = checkSchema(vc)
  const checks = [signature, issuer, status.check, validity.check, schema]

  let verdict: Verdict = 'valid'
  if (authenticity) verdict = authenticity
  else if (status.verdict === 'revoked' || status.verdict === 'suspended') verdict = status.verdict
  else if (validity.verdict) verdict = validity.verdict
  else if (status.verdict) verdict = status.verdict
  else if (!schema.ok) verdict = 'malformed'
  return { verdict, checks }
}

/**
 * Checks the record an issuer keeps of a credential whose signed file it no longer holds (its holder
 * was erased): its status entries and dates, as for a credential. There is no signature to check,
 * so the report says the answer rests on the issuer's own record.
 */
export async function verifyIssuerRecord(record: unknown, options: VerifyOptions): Promise<VerificationReport> {
  if (!isObject(record)) return { verdict: 'malformed', checks: [{ name: 'record', ok: false, detail: 'the issuer’s record is not a JSON object' }] }
  const recordCheck: VerificationCheck = {
    name: 'record',
    ok: true,
    detail:
      'answered from the issuer’s own record: the signed file was erased at the holder’s request, so there is no signature to check here; a copy the holder kept still verifies with its signature',
  }
  const status = await checkCredentialStatus(record, options)
  const validity = checkValidity(record, options.now ?? new Date())
  const verdict: Verdict = status.verdict === 'revoked' || status.verdict === 'suspended' ? status.verdict : (validity.verdict ?? status.verdict ?? 'valid')
  return { verdict, checks: [recordCheck, status.check, validity.check] }
}

/**
 * Verifies a presentation's proof (authentication, with the expected challenge and domain, by the
 * holder when one is named) and every credential in it. Without `challenge`, the challenge is not
 * compared: replay protection is then the caller's business.
 */
export async function verifyPresentation(vp: unknown, options: VerifyOptions & { challenge?: string; domain?: string }): Promise<PresentationVerification> {
  if (!isObject(vp)) return { ok: false, credentials: [], problems: ['the presentation is not a JSON object'] }
  const problems: string[] = []
  const [firstContext] = toArray(vp['@context'])
  if (firstContext !== CREDENTIALS_V2_URL && firstContext !== CREDENTIALS_V1_URL) problems.push(`the first @context must be ${CREDENTIALS_V2_URL}`)
  if (!toArray(vp.type).includes('VerifiablePresentation')) problems.push('type does not include VerifiablePresentation')

  if (toArray(vp.proof).length === 0) {
    problems.push('the presentation has no proof, so neither its holder nor its challenge can be checked')
  } else {
    const outcomes = await verifyProofs(vp, 'authentication', options.documentLoader)
    for (const outcome of outcomes) if (!outcome.ok) problems.push(`presentation proof: ${outcome.detail}`)
    const verified = outcomes.filter((outcome) => outcome.ok)
    const proofs = verified.map((outcome) => outcome.proof).filter(isObject)
    if (options.challenge !== undefined && !proofs.some((proof) => proof.challenge === options.challenge)) {
      problems.push('the presentation proof does not carry the expected challenge')
    }
    const { domain } = options
    if (domain !== undefined && !proofs.some((proof) => toArray(proof.domain).includes(domain))) {
      problems.push('the presentation proof does not carry the expected domain')
    }
    const holder = idOf(vp.holder)
    if (holder !== undefined && !verified.some((outcome) => outcome.controller === holder)) {
      problems.push(`the presentation is not signed by its holder ${holder}`)
    }
  }

  const credentials = await Promise.all(toArray(vp.verifiableCredential).map((credential) => verifyCredential(credential, options)))
  const ok = problems.length === 0 && credentials.every((report) => report.verdict === 'valid')
  return { ok, credentials, problems }
}
