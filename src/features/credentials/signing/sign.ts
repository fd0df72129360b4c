import { createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { type Cryptosuite, DataIntegrityProof } from '@digitalbazaar/data-integrity'
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey'
import { cryptosuite as ecdsaRdfc2019 } from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite'
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey'
import { createSignCryptosuite as eddsaJcs2022 } from '@digitalbazaar/eddsa-jcs-2022-cryptosuite'
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite'
import { issue } from '@digitalbazaar/vc'
import { isBundled } from '../../../platform/paths.ts'
import type { DocumentLoader, JsonObject } from './contexts.ts'
import { fastEddsaRdfc2022 } from './fast-canonicalize.ts'
import { type KeyType, keyTypeOf } from './keys.ts'

/** Who signs: the issuer DID, the verification method (`<did>#<fragment>`) and its key pair (Ed25519 or P-256). */
export interface CredentialSigner {
  did: string
  verificationMethodId: string
  publicKeyMultibase: string
  secretKeyMultibase: string
}

/** `proof` is one object, or an array for a proof set and for Open Badges (see `signCredential`). */
export type SignedCredential = JsonObject & { proof: JsonObject | JsonObject[] }

/** The Data Integrity cryptosuites Laurel signs with; eddsa-rdfc-2022 unless asked otherwise. */
export const SIGNING_CRYPTOSUITES = ['eddsa-rdfc-2022', 'eddsa-jcs-2022', 'ecdsa-rdfc-2019'] as const
export type SigningCryptosuite = (typeof SIGNING_CRYPTOSUITES)[number]

/** The key each suite signs with. */
export function keyTypeForSuite(cryptosuite: SigningCryptosuite): KeyType {
  return cryptosuite === 'ecdsa-rdfc-2019' ? 'P-256' : 'Ed25519'
}

export interface SignOptions {
  /**
   * eddsa-jcs-2022 signs the JSON as written (RFC 8785), for verifiers without JSON-LD processing;
   * ecdsa-rdfc-2019 signs with a P-256 key, for verifiers limited to NIST curves.
   */
  cryptosuite?: SigningCryptosuite
  /**
   * Canonicalise Laurel's OpenBadgeCredential shape directly (fast-canonicalize.ts) instead of
   * through JSON-LD; other documents still take the general path. The signatures are the same.
   */
  fastCanonicalization?: boolean
}

export interface KeySigner {
  id: string
  algorithm: string
  sign(options: { data: Uint8Array }): Promise<Uint8Array>
}

// Importing a key (multibase decoding, a key object, the public-key check) costs more than a signature.
const SIGNER_CACHE_SIZE = 1000
const signerCache = new Map<string, Promise<KeySigner>>()

async function importSigner(signer: CredentialSigner): Promise<KeySigner> {
  if (!signer.verificationMethodId.startsWith(`${signer.did}#`)) {
    throw new Error(`The verification method ${signer.verificationMethodId} does not belong to ${signer.did}.`)
  }
  if (keyTypeOf(signer.publicKeyMultibase) === 'P-256') return importP256Signer(signer)
  const keyPair = await Ed25519Multikey.from({
    id: signer.verificationMethodId,
    controller: signer.did,
    publicKeyMultibase: signer.publicKeyMultibase,
    secretKeyMultibase: signer.secretKeyMultibase,
  })
  const { publicKey, secretKey } = await keyPair.export({ publicKey: true, secretKey: true, raw: true })
  if (!publicKey || !secretKey) throw new Error('The signer has no Ed25519 key pair.')
  const x = Buffer.from(publicKey).toString('base64url')
  const privateKey: KeyObject = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', x, d: Buffer.from(secretKey.subarray(0, 32)).toString('base64url') },
    format: 'jwk',
  })
  if (createPublicKey(privateKey).export({ format: 'jwk' }).x !== x) throw new Error('The secret key does not belong to the public key.')
  return { id: signer.verificationMethodId, algorithm: 'Ed25519', sign: async ({ data }) => sign(null, data, privateKey) }
}

/** A P-256 signer through @digitalbazaar/ecdsa-multikey, which checks that the secret key belongs to the public key. */
async function importP256Signer(signer: CredentialSigner): Promise<KeySigner> {
  const keyPair = await EcdsaMultikey.from({
    id: signer.verificationMethodId,
    controller: signer.did,
    publicKeyMultibase: signer.publicKeyMultibase,
    secretKeyMultibase: signer.secretKeyMultibase,
  })
  const { id = signer.verificationMethodId, algorithm, sign: signData } = keyPair.signer()
  return { id, algorithm, sign: signData }
}

/** The signer API the Digital Bazaar suites expect, cached per key. */
export function keySignerFor(signer: CredentialSigner): Promise<KeySigner> {
  const cacheKey = `${signer.verificationMethodId} ${signer.publicKeyMultibase}`
  let prepared = signerCache.get(cacheKey)
  if (!prepared) {
    if (signerCache.size >= SIGNER_CACHE_SIZE) signerCache.delete(signerCache.keys().next().value ?? '')
    prepared = importSigner(signer)
    prepared.catch(() => signerCache.delete(cacheKey))
    signerCache.set(cacheKey, prepared)
  }
  return prepared
}

function issuerIdOf(credential: object): unknown {
  const { issuer } = credential as { issuer?: unknown }
  return typeof issuer === 'object' && issuer !== null ? (issuer as { id?: unknown }).id : issuer
}

function cryptosuiteFor(options: SignOptions): Cryptosuite {
  if (options.cryptosuite === 'eddsa-jcs-2022') return eddsaJcs2022()
  if (options.cryptosuite === 'ecdsa-rdfc-2019') return ecdsaRdfc2019
  return options.fastCanonicalization ? fastEddsaRdfc2022 : eddsaRdfc2022
}

/** Open Badges 3.0 serialises every multi-valued property as an array: its JSON Schema rejects a lone proof object. */
function isOpenBadge(credential: object): boolean {
  const { type } = credential as { type?: unknown }
  const types = Array.isArray(type) ? type : [type]
  return types.includes('OpenBadgeCredential') || types.includes('AchievementCredential')
}

/**
 * Adds a `DataIntegrityProof` (eddsa-rdfc-2022, eddsa-jcs-2022 or ecdsa-rdfc-2019, assertionMethod) to a copy of the credential. A lone
 * proof is written as an object, the form most verifiers and older suites expect, except in Open
 * Badges credentials, whose schema requires an array. An existing proof stays (a proof set, an array).
 * Throws on an issuer other than the signer's DID and on JSON-LD terms no context defines.
 */
export async function signCredential(
  credential: object,
  signer: CredentialSigner,
  documentLoader: DocumentLoader,
  options: SignOptions = {},
): Promise<SignedCredential> {
  const issuerId = issuerIdOf(credential)
  if (issuerId !== signer.did) throw new Error(`The credential's issuer (${String(issuerId)}) is not the signer's DID (${signer.did}).`)
  const signerKeyType = keyTypeOf(signer.publicKeyMultibase)
  // Without a suite asked for, a P-256 key signs with the one suite it can (status lists of such an issuer, for one).
  const cryptosuite = options.cryptosuite ?? (signerKeyType === 'P-256' ? 'ecdsa-rdfc-2019' : 'eddsa-rdfc-2022')
  if (signerKeyType !== keyTypeForSuite(cryptosuite)) {
    throw new Error(`${cryptosuite} needs the issuer's ${keyTypeForSuite(cryptosuite)} key, not the key given.`)
  }
  const suite = new DataIntegrityProof({ signer: await keySignerFor(signer), cryptosuite: cryptosuiteFor({ ...options, cryptosuite }) })
  // issue() adds the proof to the object it is given.
  const signed = await issue({ credential: structuredClone(credential), suite, documentLoader })
  const proofs = (Array.isArray(signed.proof) ? signed.proof : [signed.proof]) as JsonObject[]
  const [proof] = proofs
  return { ...signed, proof: proofs.length === 1 && proof && !isOpenBadge(credential) ? proof : proofs }
}

export type SigningTask = { credentials: object[]; signer: CredentialSigner; options: SignOptions }
export type SigningResult = { signed: SignedCredential[] } | { error: string }

interface PendingTask extends SigningTask {
  resolve: (signed: SignedCredential[]) => void
  reject: (error: Error) => void
}

interface PoolWorker {
  worker: Worker
  task: PendingTask | undefined
  completed: number
}

// `npm start` runs a bundle, which carries the worker as a bundle of its own beside it.
const WORKER_URL = isBundled ? new URL('./signing-worker.mjs', import.meta.url) : new URL('./signing-worker.ts', import.meta.url)
// Small enough to spread a batch over every worker, large enough that messaging costs little.
const MAX_CHUNK = 32

/**
 * Signs batches on worker threads, one per core by default. Each worker keeps its own document
 * loader and key cache, so the first batch pays for warming them up.
 */
export class SigningPool {
  readonly size: number
  readonly #options: SignOptions
  #workers: PoolWorker[] = []
  #queue: PendingTask[] = []
  #closed = false

  constructor(options: { size?: number } & SignOptions = {}) {
    this.size = options.size ?? availableParallelism()
    this.#options = { fastCanonicalization: options.fastCanonicalization ?? false }
    if (!Number.isInteger(this.size) || this.size < 1) throw new RangeError('A signing pool needs at least one worker.')
    for (let count = 0; count < this.size; count++) this.#workers.push(this.#spawn())
  }

  /** `options` add to the pool's own (a cryptosuite, say). */
  async sign(credentials: object[], signer: CredentialSigner, options: SignOptions = {}): Promise<SignedCredential[]> {
    if (this.#closed) throw new Error('The signing pool is closed.')
    const chunkSize = Math.max(1, Math.min(MAX_CHUNK, Math.ceil(credentials.length / (this.size * 4))))
    const chunks: object[][] = []
    for (let start = 0; start < credentials.length; start += chunkSize) chunks.push(credentials.slice(start, start + chunkSize))
    const taskOptions = { ...this.#options, ...options }
    const results = await Promise.all(chunks.map((chunk) => this.#enqueue({ credentials: chunk, signer, options: taskOptions })))
    return results.flat()
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const task of this.#queue.splice(0)) task.reject(new Error('The signing pool was closed.'))
    await Promise.all(this.#workers.map(({ worker }) => worker.terminate()))
    this.#workers = []
  }

  #enqueue(task: SigningTask): Promise<SignedCredential[]> {
    return new Promise((resolve, reject) => {
      if (this.#workers.length === 0) {
        reject(new Error('The signing pool has no workers left.'))
        return
      }
      this.#queue.push({ ...task, resolve, reject })
      this.#dispatch()
    })
  }

  #dispatch(): void {
    for (const poolWorker of this.#workers) {
      if (poolWorker.task) continue
      const task = this.#queue.shift()
      if (!task) return
      poolWorker.task = task
      poolWorker.worker.ref()
      poolWorker.worker.postMessage({ credentials: task.credentials, signer: task.signer, options: task.options } satisfies SigningTask)
    }
  }

  #spawn(): PoolWorker {
    const poolWorker: PoolWorker = { worker: new Worker(WORKER_URL), task: undefined, completed: 0 }
    const { worker } = poolWorker
    // Idle workers must not keep the process alive; busy ones must.
    worker.unref()
    worker.on('message', (result: SigningResult) => {
      const task = poolWorker.task
      poolWorker.task = undefined
      poolWorker.completed++
      worker.unref()
      if ('signed' in result) task?.resolve(result.signed)
      else task?.reject(new Error(result.error))
      this.#dispatch()
    })
    worker.on('error', (error) => {
      poolWorker.task?.reject(error)
      poolWorker.task = undefined
      this.#workers = this.#workers.filter((other) => other !== poolWorker)
      // A worker that never finished a task failed to start: another one would too.
      if (!this.#closed && poolWorker.completed > 0) this.#workers.push(this.#spawn())
      if (this.#workers.length === 0) for (const task of this.#queue.splice(0)) task.reject(error)
      this.#dispatch()
    })
    return poolWorker
  }
}
