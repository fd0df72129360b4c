import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createDocumentLoader } from './contexts.ts'
import { generateIssuerKey } from './keys.ts'
import { SigningPool, signCredential } from './sign.ts'
import { didKeySigner, openBadgeCredential } from './test-fixtures.ts'
import { verifyCredential } from './verify.ts'

const loader = createDocumentLoader()
const plainCredential = (issuer: string) => ({
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  type: ['VerifiableCredential'],
  issuer,
  credentialSubject: { id: 'did:example:holder', name: 'Holder' },
})

describe('signCredential', () => {
  it('adds one eddsa-rdfc-2022 DataIntegrityProof for assertionMethod, as an array in an Open Badge', async () => {
    const signer = await didKeySigner()
    const credential = openBadgeCredential({ issuerDid: signer.did })
    const before = structuredClone(credential)
    const signed = await signCredential(credential, signer, loader)

    assert.deepEqual(credential, before, 'the input is not modified')
    assert.ok(Array.isArray(signed.proof), 'the OB 3.0 schema requires an array')
    assert.equal(signed.proof.length, 1)
    const [proof] = signed.proof
    assert.equal(proof?.type, 'DataIntegrityProof')
    assert.equal(proof?.cryptosuite, 'eddsa-rdfc-2022')
    assert.equal(proof?.proofPurpose, 'assertionMethod')
    assert.equal(proof?.verificationMethod, signer.verificationMethodId)
    assert.match(String(proof?.proofValue), /^z[1-9A-HJ-NP-Za-km-z]{80,90}$/)
    assert.match(String(proof?.created), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    assert.equal((await verifyCredential(signed, { documentLoader: loader })).verdict, 'valid')
  })

  it('writes the lone proof of any other credential as an object', async () => {
    const signer = await didKeySigner()
    const signed = await signCredential(plainCredential(signer.did), signer, loader)
    assert.ok(!Array.isArray(signed.proof), JSON.stringify(signed.proof))
    assert.equal(signed.proof.cryptosuite, 'eddsa-rdfc-2022')
    assert.equal((await verifyCredential(signed, { documentLoader: loader })).verdict, 'valid')
  })

  it('signs with eddsa-jcs-2022 when asked, the JSON as written', async () => {
    const signer = await didKeySigner()
    const signed = await signCredential(openBadgeCredential({ issuerDid: signer.did }), signer, loader, { cryptosuite: 'eddsa-jcs-2022' })
    assert.ok(Array.isArray(signed.proof))
    assert.equal(signed.proof[0]?.cryptosuite, 'eddsa-jcs-2022')
    assert.equal((await verifyCredential(signed, { documentLoader: loader })).verdict, 'valid')
    const changed = { ...signed, credentialSubject: { ...(signed.credentialSubject as object), name: 'Changed' } }
    assert.equal((await verifyCredential(changed, { documentLoader: loader })).verdict, 'invalid_signature')
  })

  for (const [label, build] of [
    ['an Open Badge', openBadgeCredential],
    ['a plain credential', ({ issuerDid }: { issuerDid: string }) => plainCredential(issuerDid)],
  ] as const) {
    it(`adds a second proof next to an existing one (a proof set, an array) in ${label}`, async () => {
      const signer = await didKeySigner()
      const once = await signCredential(build({ issuerDid: signer.did }), signer, loader)
      const twice = await signCredential(once, signer, loader)
      assert.ok(Array.isArray(twice.proof))
      assert.equal(twice.proof.length, 2)
      assert.equal((await verifyCredential(twice, { documentLoader: loader })).verdict, 'valid')
    })
  }

  it('refuses a credential whose issuer is not the signer', async () => {
    const signer = await didKeySigner()
    const other = await didKeySigner()
    await assert.rejects(signCredential(openBadgeCredential({ issuerDid: other.did }), signer, loader), /is not the signer's DID/)
  })

  it('refuses a secret key that does not belong to the public key', async () => {
    const signer = await didKeySigner()
    const { secretKeyMultibase } = await generateIssuerKey()
    await assert.rejects(
      signCredential(openBadgeCredential({ issuerDid: signer.did }), { ...signer, secretKeyMultibase }, loader),
      /secret key does not belong to the public key/,
    )
  })

  it('refuses a verification method of another DID', async () => {
    const signer = await didKeySigner()
    const other = await didKeySigner()
    await assert.rejects(
      signCredential(openBadgeCredential({ issuerDid: signer.did }), { ...signer, verificationMethodId: other.verificationMethodId }, loader),
      /does not belong to/,
    )
  })
})

describe('SigningPool', () => {
  let pool: SigningPool
  before(() => {
    pool = new SigningPool({ size: 2 })
  })
  after(() => pool.close())

  it('signs a batch on worker threads, in order, each credential verifiable', async () => {
    const signer = await didKeySigner()
    const credentials = Array.from({ length: 24 }, (_, index) =>
      openBadgeCredential({ issuerDid: signer.did, id: `https://laurel.example/credentials/cred_${String(index).padStart(26, '0')}` }),
    )
    const signed = await pool.sign(credentials, signer)
    assert.deepEqual(
      signed.map((credential) => credential.id),
      credentials.map((credential) => credential.id),
    )
    for (const credential of [signed[0], signed[23]]) {
      assert.equal((await verifyCredential(credential, { documentLoader: loader })).verdict, 'valid')
    }
    assert.deepEqual(await pool.sign([], signer), [])
  })

  it('passes a signing error back to the caller and keeps working', async () => {
    const signer = await didKeySigner()
    const other = await didKeySigner()
    await assert.rejects(pool.sign([openBadgeCredential({ issuerDid: other.did })], signer), /is not the signer's DID/)
    assert.equal((await pool.sign([openBadgeCredential({ issuerDid: signer.did })], signer)).length, 1)
  })

  it('refuses work once closed', async () => {
    const closing = new SigningPool({ size: 1 })
    await closing.close()
    await assert.rejects(closing.sign([{}], await didKeySigner()), /closed/)
  })
})
