// Two verifiers that share no code with verify.ts check what sign.ts issues:
// (a) @digitalcredentials/verifier-core, the Digital Credentials Consortium's verifier (its own forks of
//     the JSON-LD stack and its own bundled contexts). It takes no document loader and fetches status
//     lists, did:web documents and the OB 3.0 schema with global fetch, so the test serves those from
//     memory through a fetch stub (a local HTTP server would not do: did:web always resolves over https).
// (b) @digitalbazaar/vc verifyCredential with the eddsa-rdfc-2022 suite and a loader of its own.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { verifyWithDigitalBazaar as digitalBazaarVerify, installFetch, verifyWithVerifierCore } from '../../../../test/support/independent-verifiers.ts'
import type { JsonObject } from './contexts.ts'
import { type CredentialSigner, type SignedCredential, signCredential } from './sign.ts'
import { didKeySigner, didWebIssuer, openBadgeCredential, TestWeb } from './test-fixtures.ts'
import { verifyCredential } from './verify.ts'

const OB3_SCHEMA_URL = 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json'
const web = new TestWeb()
const fetched: string[] = []

/** What the test's in-memory web serves: status lists, and did:web documents at their did.json URL. */
async function fetchDocument(url: string): Promise<object | undefined> {
  fetched.push(url)
  const didPath = /^https:\/\/([^/]+)\/(.+)\/did\.json$/.exec(url)
  const did = didPath ? `did:web:${encodeURIComponent(didPath[1] ?? '')}:${(didPath[2] ?? '').split('/').join(':')}` : undefined
  return did ? web.didDocuments.get(did) : web.documents.get(url)
}

const verifyWithDigitalBazaar = (credential: object) => digitalBazaarVerify(credential, fetchDocument)

async function issue(signer: CredentialSigner, index: number) {
  const { revocation, suspension } = await web.statusEntries(signer, index)
  const credential = await signCredential(openBadgeCredential({ issuerDid: signer.did, credentialStatus: [revocation, suspension] }), signer, web.loader)
  return { credential, revocation, suspension }
}

describe('independent verifiers accept what signCredential issues', () => {
  let restoreFetch: () => void
  before(() => {
    restoreFetch = installFetch(fetchDocument)
  })
  after(() => restoreFetch())

  let didWebSigner: Promise<CredentialSigner> | undefined
  const issuers: [string, () => Promise<CredentialSigner>][] = [
    ['did:key', didKeySigner],
    [
      'did:web',
      // One key set for the DID: verifier-core caches DID documents for the life of the process.
      async () => {
        didWebSigner ??= didWebIssuer('org_interop').then(({ signer, didDocument }) => {
          web.addDidDocument(didDocument)
          return signer
        })
        return didWebSigner
      },
    ],
  ]

  for (const [method, makeSigner] of issuers) {
    describe(`${method} issuer`, () => {
      it('both accept it; after the revocation bit is set, both report it revoked', async () => {
        const signer = await makeSigner()
        const { credential, revocation } = await issue(signer, 1234)

        const core = await verifyWithVerifierCore(credential)
        assert.deepEqual(
          { ...core, schemaErrors: undefined },
          { errors: undefined, signature: true, notRevoked: true, notSuspended: true, notExpired: true, schemaErrors: undefined },
        )
        assert.deepEqual(await verifyWithDigitalBazaar(credential), { verified: true, statusVerified: true, revoked: false, suspended: false })
        assert.equal((await verifyCredential(credential, { documentLoader: web.loader })).verdict, 'valid')

        await web.setBit(revocation.statusListCredential, 1234, true)
        const revokedByCore = await verifyWithVerifierCore(credential)
        assert.equal(revokedByCore.signature, true)
        assert.equal(revokedByCore.notRevoked, false)
        // The trap: @digitalbazaar/vc still says verified; the revocation is only in the status bit.
        assert.deepEqual(await verifyWithDigitalBazaar(credential), { verified: true, statusVerified: true, revoked: true, suspended: false })
        assert.equal((await verifyCredential(credential, { documentLoader: web.loader })).verdict, 'revoked')
      })

      it('both reject it when one character changes', async () => {
        const signer = await makeSigner()
        const { credential } = await issue(signer, 77)
        const tampered = structuredClone(credential) as SignedCredential & { credentialSubject: JsonObject }
        tampered.credentialSubject.name = 'Zoë Ångström-Łukasiewicy'

        assert.deepEqual((await verifyWithVerifierCore(tampered)).errors, ['invalid_signature'])
        assert.equal((await verifyWithDigitalBazaar(tampered)).verified, false)
        assert.equal((await verifyCredential(tampered, { documentLoader: web.loader })).verdict, 'invalid_signature')
      })

      it('both report it suspended, then valid again once reinstated', async () => {
        const signer = await makeSigner()
        const { credential, suspension } = await issue(signer, 131071)

        await web.setBit(suspension.statusListCredential, 131071, true)
        const suspendedByCore = await verifyWithVerifierCore(credential)
        assert.deepEqual([suspendedByCore.notRevoked, suspendedByCore.notSuspended], [true, false])
        assert.deepEqual(await verifyWithDigitalBazaar(credential), { verified: true, statusVerified: true, revoked: false, suspended: true })
        assert.equal((await verifyCredential(credential, { documentLoader: web.loader })).verdict, 'suspended')

        await web.setBit(suspension.statusListCredential, 131071, false)
        const reinstatedByCore = await verifyWithVerifierCore(credential)
        assert.deepEqual([reinstatedByCore.signature, reinstatedByCore.notRevoked, reinstatedByCore.notSuspended], [true, true, true])
        assert.deepEqual(await verifyWithDigitalBazaar(credential), { verified: true, statusVerified: true, revoked: false, suspended: false })
        assert.equal((await verifyCredential(credential, { documentLoader: web.loader })).verdict, 'valid')
      })
    })
  }

  it('both accept a credential signed through fast canonicalisation', async () => {
    const signer = await didKeySigner()
    const { revocation, suspension } = await web.statusEntries(signer, 99)
    const unsigned = openBadgeCredential({ issuerDid: signer.did, credentialStatus: [revocation, suspension] })
    const credential = await signCredential(unsigned, signer, web.loader, { fastCanonicalization: true })
    const core = await verifyWithVerifierCore(credential)
    assert.deepEqual([core.errors, core.signature, core.notRevoked, core.notSuspended], [undefined, true, true, true])
    assert.deepEqual(await verifyWithDigitalBazaar(credential), { verified: true, statusVerified: true, revoked: false, suspended: false })
  })

  it("verifier-core's schema check agrees with ours: two credentialStatus entries break the OB 3.0 schema, one does not", async () => {
    const signer = await didKeySigner()
    const { credential } = await issue(signer, 5)
    assert.deepEqual((await verifyWithVerifierCore(credential)).schemaErrors, [
      JSON.stringify({
        instancePath: '/credentialStatus',
        schemaPath: '#/$defs/CredentialStatus/type',
        keyword: 'type',
        params: { type: 'object' },
        message: 'must be object',
      }),
    ])
    const { revocation } = await web.statusEntries(signer, 6)
    const single = await signCredential(openBadgeCredential({ issuerDid: signer.did, credentialStatus: revocation }), signer, web.loader)
    const core = await verifyWithVerifierCore(single)
    assert.equal(core.schemaErrors, undefined)
    assert.deepEqual([core.signature, core.notRevoked], [true, true])
  })

  it('fetched nothing but status lists, the did:web document and the OB 3.0 schema', () => {
    const unexpected = fetched.filter(
      (url) =>
        url !== OB3_SCHEMA_URL && !url.startsWith('https://laurel.example/status-lists/') && url !== 'https://laurel.example/issuers/org_interop/did.json',
    )
    assert.deepEqual(unexpected, [])
    assert.ok(fetched.includes('https://laurel.example/issuers/org_interop/did.json'))
  })
})
