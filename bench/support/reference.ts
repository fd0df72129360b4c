/**
 * The reference paths the credential benchmarks compare with: Digital Bazaar's @digitalbazaar/vc
 * issue() and verifyCredential() with DataIntegrityProof and the eddsa-rdfc-2022 cryptosuite, as
 * their documentation shows them, in a plain loop on one core (this process's main thread), with
 * Laurel's bundled document loader so neither side touches the network.
 */
import { performance } from 'node:perf_hooks'
import { DataIntegrityProof } from '@digitalbazaar/data-integrity'
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey'
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite'
import { issue, verifyCredential } from '@digitalbazaar/vc'
import { checkStatus } from '@digitalbazaar/vc-bitstring-status-list'
import type { DocumentLoader } from '../../src/features/credentials/signing/contexts.ts'
import { createDocumentLoader } from '../../src/features/credentials/signing/contexts.ts'

const WARMUP_SECONDS = 1

/** Runs `operation` one call after the other for a warm-up second, then `seconds` more; returns calls per second. */
export async function loopRate(seconds: number, operation: () => Promise<void>): Promise<number> {
  const until = (deadline: number) => performance.now() < deadline
  const warmupEnd = performance.now() + WARMUP_SECONDS * 1000
  while (until(warmupEnd)) await operation()
  let count = 0
  const started = performance.now()
  const end = started + seconds * 1000
  while (until(end)) {
    await operation()
    count++
  }
  return count / ((performance.now() - started) / 1000)
}

/** Credentials per second signed by @digitalbazaar/vc issue(), with a fresh did:key issuer. */
export async function referenceIssueRate(unsigned: Record<string, unknown>, seconds: number): Promise<number> {
  const generated = await Ed25519Multikey.generate()
  const did = `did:key:${generated.publicKeyMultibase}`
  const keyPair = await Ed25519Multikey.from({ ...generated, id: `${did}#${generated.publicKeyMultibase}`, controller: did })
  const suite = new DataIntegrityProof({ signer: keyPair.signer(), cryptosuite: eddsaRdfc2022 })
  const documentLoader = createDocumentLoader()
  const credential = { ...unsigned, issuer: { ...(unsigned.issuer as object), id: did } }
  return loopRate(seconds, async () => {
    await issue({ credential: structuredClone(credential), suite, documentLoader })
  })
}

/**
 * Credentials per second verified by @digitalbazaar/vc verifyCredential(): the proof, and, as
 * Laurel's verification does, the Bitstring status entry with its status-list credential's proof.
 */
export async function referenceVerifyRate(credential: object, documentLoader: DocumentLoader, seconds: number): Promise<number> {
  const suite = new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 })
  const verifyOnce = () =>
    verifyCredential({
      credential,
      suite,
      documentLoader,
      checkStatus: (options) => checkStatus({ ...options, verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true }),
    })
  const result = await verifyOnce()
  if (!result.verified || result.statusResult?.results?.[0]?.status !== false) {
    throw new Error(`The reference does not verify the credential: ${JSON.stringify(result.error ?? result.statusResult)}`)
  }
  return loopRate(seconds, async () => {
    await verifyOnce()
  })
}
