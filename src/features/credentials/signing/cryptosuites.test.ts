// The suites beside eddsa-rdfc-2022: ecdsa-rdfc-2019 both ways with an independent verifier and
// signer (@digitalbazaar/vc with its own suite instances, keys from @digitalbazaar/ecdsa-multikey),
// ecdsa-sd-2023 derived proofs made by the library, and the legacy eddsa-2022 name.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { DataIntegrityProof } from '@digitalbazaar/data-integrity'
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey'
import { cryptosuite as ecdsaRdfc2019 } from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite'
import { createDiscloseCryptosuite, createSignCryptosuite } from '@digitalbazaar/ecdsa-sd-2023-cryptosuite'
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey'
import { cryptosuite as eddsa2022 } from '@digitalbazaar/eddsa-2022-cryptosuite'
import { derive, issue } from '@digitalbazaar/vc'
import { verifyWithDigitalBazaar as digitalBazaarVerify, installFetch } from '../../../../test/support/independent-verifiers.ts'
import type { JsonObject } from './contexts.ts'
import { buildDidDocument, didWebFor, generateIssuerKey } from './keys.ts'
import { signCredential } from './sign.ts'
import { didKeySigner, openBadgeCredential, PUBLIC_URL, TestWeb } from './test-fixtures.ts'
import { type VerificationReport, verifyCredential } from './verify.ts'

const web = new TestWeb()

function signatureDetail(report: VerificationReport): string {
  return report.checks.find((check) => check.name === 'signature')?.detail ?? ''
}

function assertVerdict(report: VerificationReport, verdict: VerificationReport['verdict']) {
  assert.equal(report.verdict, verdict, JSON.stringify(report.checks, null, 2))
}

const tamper = (credential: JsonObject): JsonObject => ({ ...credential, name: `${String(credential.name)}!` })

/** A library key pair (not Laurel's signer) for a did:key, as another issuer's software would hold it. */
async function libraryKey(kind: 'P-256' | 'Ed25519') {
  const keyPair = kind === 'P-256' ? await EcdsaMultikey.generate({ curve: 'P-256' }) : await Ed25519Multikey.generate()
  const did = `did:key:${keyPair.publicKeyMultibase}`
  keyPair.id = `${did}#${keyPair.publicKeyMultibase}`
  keyPair.controller = did
  return { did, signer: keyPair.signer() }
}

describe('ecdsa-rdfc-2019 (P-256)', () => {
  let restoreFetch: () => void
  const fetchDocument = async (url: string) => web.documents.get(url)
  before(() => {
    restoreFetch = installFetch(fetchDocument)
  })
  after(() => restoreFetch())

  it('Laurel signs with a P-256 did:key; @digitalbazaar/vc verifies it, status included, and refuses it tampered', async () => {
    const signer = await didKeySigner('P-256')
    assert.match(signer.did, /^did:key:zDna/)
    const { revocation, suspension } = await web.statusEntries(signer, 321)
    const unsigned = openBadgeCredential({ issuerDid: signer.did, credentialStatus: [revocation, suspension] })
    const signed = await signCredential(unsigned, signer, web.loader, { cryptosuite: 'ecdsa-rdfc-2019' })
    const [proof] = signed.proof as JsonObject[]
    assert.equal(proof?.cryptosuite, 'ecdsa-rdfc-2019')
    const independent = await digitalBazaarVerify(signed, fetchDocument)
    assert.equal(independent.verified, true)
    assert.equal(independent.revoked, false)
    assert.equal((await digitalBazaarVerify(tamper(signed), fetchDocument)).verified, false)
    assertVerdict(await verifyCredential(signed, { documentLoader: web.loader }), 'valid')
    assertVerdict(await verifyCredential(tamper(signed), { documentLoader: web.loader }), 'invalid_signature')
  })

  it('Laurel verifies what @digitalbazaar/vc signs with its own P-256 key and suite instance', async () => {
    const { did, signer } = await libraryKey('P-256')
    const credential = await issue({
      credential: openBadgeCredential({ issuerDid: did }),
      suite: new DataIntegrityProof({ signer, cryptosuite: ecdsaRdfc2019 }),
      documentLoader: web.loader,
    })
    const report = await verifyCredential(credential, { documentLoader: web.loader })
    assertVerdict(report, 'valid')
    assert.match(signatureDetail(report), /^DataIntegrityProof \(ecdsa-rdfc-2019\) by did:key:zDna/)
    assertVerdict(await verifyCredential(tamper(credential), { documentLoader: web.loader }), 'invalid_signature')
  })

  it('verifies a P-256 key listed in a did:web document beside an Ed25519 one', async () => {
    const did = didWebFor(PUBLIC_URL, 'org_p256')
    const ed25519 = await generateIssuerKey()
    const p256 = await generateIssuerKey('P-256')
    web.addDidDocument(
      buildDidDocument({
        did,
        keys: [
          { id: 'ikey_ed', ...ed25519 },
          { id: 'ikey_p256', ...p256 },
        ],
      }),
    )
    const signer = { did, verificationMethodId: `${did}#ikey_p256`, ...p256 }
    const signed = await signCredential(openBadgeCredential({ issuerDid: did }), signer, web.loader, { cryptosuite: 'ecdsa-rdfc-2019' })
    assertVerdict(await verifyCredential(signed, { documentLoader: web.loader }), 'valid')
  })

  it('refuses to sign with a key of the wrong type for the suite', async () => {
    const ed25519 = await didKeySigner()
    await assert.rejects(
      signCredential(openBadgeCredential({ issuerDid: ed25519.did }), ed25519, web.loader, { cryptosuite: 'ecdsa-rdfc-2019' }),
      /ecdsa-rdfc-2019 needs the issuer's P-256 key/,
    )
    const p256 = await didKeySigner('P-256')
    await assert.rejects(
      signCredential(openBadgeCredential({ issuerDid: p256.did }), p256, web.loader, { cryptosuite: 'eddsa-jcs-2022' }),
      /eddsa-jcs-2022 needs the issuer's Ed25519 key/,
    )
  })
})

describe('ecdsa-sd-2023 derived proofs', () => {
  // A plain VC 2.0 credential: selective disclosure of an Open Badge would drop schema-required fields.
  const credentialOf = (issuer: string): JsonObject => ({
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
    type: ['VerifiableCredential', 'ExampleAlumniCredential'],
    issuer,
    validFrom: '2026-01-01T00:00:00Z',
    credentialSubject: { id: 'did:example:alice', alumniOf: 'Example University', name: 'Alice' },
  })

  async function baseAndDerived() {
    const { did, signer } = await libraryKey('P-256')
    const base = await issue({
      credential: credentialOf(did),
      suite: new DataIntegrityProof({ signer, cryptosuite: createSignCryptosuite({ mandatoryPointers: ['/issuer'] }) }),
      documentLoader: web.loader,
    })
    const derived = await derive({
      verifiableCredential: base,
      suite: new DataIntegrityProof({ cryptosuite: createDiscloseCryptosuite({ selectivePointers: ['/credentialSubject/alumniOf'] }) }),
      documentLoader: web.loader,
    })
    return { base, derived }
  }

  it('verifies a derived proof that discloses part of the subject, and notices tampering', async () => {
    const { derived } = await baseAndDerived()
    const subject = derived.credentialSubject as JsonObject
    assert.equal(subject.alumniOf, 'Example University')
    assert.equal(subject.name, undefined, 'the undisclosed claim is gone')
    const report = await verifyCredential(derived, { documentLoader: web.loader })
    assertVerdict(report, 'valid')
    assert.match(signatureDetail(report), /^DataIntegrityProof \(ecdsa-sd-2023\) by did:key:zDna/)
    const tampered = { ...derived, credentialSubject: { ...subject, alumniOf: 'Another University' } }
    assertVerdict(await verifyCredential(tampered, { documentLoader: web.loader }), 'invalid_signature')
  })

  it('refuses a base proof, which only the holder should see, as not verifiable', async () => {
    const { base } = await baseAndDerived()
    const report = await verifyCredential(base, { documentLoader: web.loader })
    assertVerdict(report, 'invalid_signature')
    assert.match(signatureDetail(report), /ecdsa-sd-2023/)
  })
})

describe('legacy eddsa-2022', () => {
  it('verifies a proof under the draft name of eddsa-rdfc-2022, and notices tampering', async () => {
    const { did, signer } = await libraryKey('Ed25519')
    const credential = await issue({
      credential: openBadgeCredential({ issuerDid: did }),
      suite: new DataIntegrityProof({ signer, cryptosuite: eddsa2022 }),
      documentLoader: web.loader,
    })
    const report = await verifyCredential(credential, { documentLoader: web.loader })
    assertVerdict(report, 'valid')
    assert.match(signatureDetail(report), /^DataIntegrityProof \(eddsa-2022\) by /)
    assertVerdict(await verifyCredential(tamper(credential), { documentLoader: web.loader }), 'invalid_signature')
  })
})
